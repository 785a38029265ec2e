"""Small things an officer hits: the lock-out counts down, the top bar says when the last
sync was, each reason has its own label."""

from __future__ import annotations

from mobile.app.context import AppContext
from mobile.app.viewmodels.setup import FirstRunModel, UnlockModel
from mobile.app.viewmodels.status import StatusBarModel
from tests.mobile.app.conftest import PIN


def test_the_lock_out_counts_down_then_opens_again(ctx: AppContext) -> None:
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    ctx.lock()
    now = [1000.0]
    model = UnlockModel(ctx, clock=lambda: now[0])
    for _attempt in range(5):
        for digit in "111111":
            model.press(digit)
    assert model.message == "Nhập sai quá nhiều lần. Thử lại sau 60 giây."
    now[0] += 1.2
    assert model.tick() and model.message.endswith("sau 59 giây.")
    now[0] += 40
    assert model.tick() and model.message.endswith("sau 19 giây.")
    now[0] += 19
    assert not model.tick() and model.message == "" and not model.failed
    # One digit at a time goes with the backspace key.
    model.press("2")
    model.press("4")
    model.backspace()
    assert model.pin == "2"


def test_the_top_bar_says_when_the_last_sync_was(ctx: AppContext) -> None:
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    view = StatusBarModel(ctx).view()
    synced = ctx.tablet.status().last_sync_at
    assert synced is not None  # the fixture's tablet pulled the catalog
    assert view.last_sync_label.startswith("Đồng bộ lúc ")
    assert view.last_sync_label.endswith(synced.astimezone().strftime("%Y")[-4:])


def test_each_reason_has_its_own_label(ctx: AppContext) -> None:
    tr = ctx.tr
    labels = {tr(f"dossier.reason.{s}") for s in ("needs_supplement", "refused", "rejected")}
    assert len(labels) == 3 and tr("dossier.reason") not in labels


def test_sent_and_not_sent_agree_between_list_and_dossier(ctx: AppContext) -> None:
    """A dossier on the server whose new timeline step is not: "not sent" on both."""
    from mobile.app.viewmodels.dossier import DossierModel
    from mobile.app.viewmodels.home import HomeModel

    FirstRunModel(ctx).choose_pin(PIN, PIN)
    dossier_id = ctx.tablet.create_dossier(1, "Thào A Tủa")
    assert ctx.tablet.sync(ctx.make_transport()).ok
    ctx.tablet.change_status(dossier_id, "in_progress")  # a new event, not yet sent
    home = HomeModel(ctx)
    home.refresh()
    home.search("Thào A Tủa")
    [row] = home.rows()
    assert row["sync_label"] == "Chưa gửi lên máy chủ"
    assert DossierModel(ctx, dossier_id).header().on_server_label == row["sync_label"]
