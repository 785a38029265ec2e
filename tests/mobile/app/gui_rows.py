"""The real Kivy app, offscreen: long values wrap in list rows instead of being cut.

Not collected by the main run (one Kivy window per process): ``test_gui.py`` runs this
module in its own process. Screens are saved to ``test-artifacts/tablet/`` (``3x-…``).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.mobile.app.kivy_harness import Harness, configure

configure(Path(os.environ.get("MOTCUA_GUI_TMP") or tempfile.mkdtemp()) / "kivy")  # before Kivy

from mobile.app.context import AppContext  # noqa: E402
from mobile.app.platform import DesktopCamera, NoLocation, Platform  # noqa: E402
from mobile.app.viewmodels.setup import FirstRunModel  # noqa: E402
from mobile.tablet import Tablet  # noqa: E402
from sync.ops import Operation, Outcome, OutcomeKind, Reason  # noqa: E402
from tests.sync.fake_server import COMMUNE_ID, FakeServer, FakeTransport  # noqa: E402

PIN = "246810"
#: A long name of the kind a Mông or Dao family gives, and a long address.
LONG_NAME = "Hoàng Thị Thu Phương Nguyễn Lò Vàng Sùng Mỷ Dở Chứ Páo Tẩn Lù Mẩy Cháng"
LONG_ADDRESS = (
    "Thôn Nậm Cang Thượng, bản Sín Chải Hạ, khu tái định cư số 3, đường liên xã "
    "Tả Van – Bản Hồ, xã Tả Van, tỉnh Lào Cai"
)
LONG_VILLAGE_ID = 79
LONG_VILLAGE = "Nậm Cang Thượng – Sín Chải Hạ (khu tái định cư số 3)"
LONG_REASON = (
    "Thiếu giấy xác nhận tình trạng hôn nhân của Ủy ban nhân dân xã nơi thường trú trước "
    "đây, bản sao giấy khai sinh có chứng thực và ảnh chụp trang hộ khẩu còn rõ nét"
)


@dataclass
class World:
    server: FakeServer
    ctx: AppContext
    ids: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("gui-rows")
    server = FakeServer()
    server.seed_reference()
    server.add_reference(
        "admin_unit",
        LONG_VILLAGE_ID,
        {"name": LONG_VILLAGE, "kind": "Thôn", "level": "village", "parent_id": COMMUNE_ID},
    )
    tablet = Tablet(tmp / "data" / "tablet.db")
    registration = tablet.adopt_registration("http://motcua.test", server.registration())
    assert tablet.sync(FakeTransport(server, registration.device_no)).ok
    ctx = AppContext.open(
        tmp / "data",
        tablet=tablet,
        platform=Platform(camera=DesktopCamera(tmp), location=NoLocation(), probe=lambda _u: False),
        scrypt_n=2**10,
    )
    ctx.transport_factory = lambda: FakeTransport(server, registration.device_no)
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    now = tablet.now()
    ids = {
        "long": tablet.create_dossier(
            1,
            LONG_NAME,
            applicant_address=LONG_ADDRESS,
            village_id=LONG_VILLAGE_ID,
            received_at=now - timedelta(days=40),
        ),
        "short": tablet.create_dossier(2, "Vàng Thị Mỷ", received_at=now - timedelta(days=30)),
    }
    tablet.change_status(ids["long"], "needs_supplement", LONG_REASON)
    ctx.lock()
    yield World(server, ctx, ids)
    ctx.close()


@pytest.fixture(scope="module")
def h(world: World) -> Iterator[Harness]:
    yield from Harness.running_quiet(world.ctx, probe_interval=0.2)


def _row_widget(h: Harness, rows: Any, record_id: str) -> Any:
    return h.row(rows, record_id)


def _fits(row: Any) -> None:
    """Every text of the row is whole: no ellipsis, and the row holds its texts."""
    texts = row.ids.texts
    for label in texts.children:
        assert not label.shorten
        assert label.texture_size[0] <= label.width + 1, (label.text, label.width)
    assert row.height + 1 >= texts.height + row.padding[1] + row.padding[3]


def test_unlock(h: Harness) -> None:
    for digit in PIN:
        h.tap_text(digit)
    h.wait(lambda: h.app.screens.current == "home", what="home")


def test_a_long_name_wraps_on_the_home_list(h: Harness, world: World) -> None:
    home = h.screen("home")
    h.tap_text("Chờ bổ sung\n", exact=False)
    rows = home.ids.rows
    h.wait(lambda: [r["record_id"] for r in rows.data] == [world.ids["long"]], what="the bucket")
    row = _row_widget(h, rows, world.ids["long"])
    h.wait(lambda: rows.data[0].get("height", 0) > 0, what="the row measured")
    h.frames(4)
    title, subtitle = row.ids.title_label, row.ids.subtitle_label
    assert title.text.endswith(LONG_NAME) and LONG_VILLAGE in subtitle.text
    _fits(row)
    h.screenshot("30-home-long-name")
    # The largest text size (sunlight, older eyes): the name and the village wrap.
    h.app.set_font_scale(1.4)
    h.frames(8)
    row = _row_widget(h, rows, world.ids["long"])
    h.frames(4)
    title, subtitle = row.ids.title_label, row.ids.subtitle_label
    assert title.texture_size[1] >= 1.8 * title.font_size, "the name is on two lines"
    assert subtitle.texture_size[1] >= 1.8 * subtitle.font_size, "so is the village"
    assert "…" not in title.text + subtitle.text
    _fits(row)
    assert rows.data[0]["height"] == pytest.approx(row.height, abs=1)
    h.screenshot("30b-home-long-name-large-text")
    # The search lists rows the same way.
    h.type(home.ids.search, "sung my do chu")
    h.wait(lambda: [r["record_id"] for r in rows.data] == [world.ids["long"]], what="search")
    h.frames(4)
    _fits(_row_widget(h, rows, world.ids["long"]))
    h.type(home.ids.search, "")
    h.app.set_font_scale(1.0)


def test_a_long_reason_wraps_on_the_timeline(h: Harness, world: World) -> None:
    h.app.go("dossier", dossier_id=world.ids["long"])
    screen = h.screen("dossier")
    timeline = screen.ids.timeline
    h.wait(lambda: any(LONG_REASON in r.get("subtitle", "") for r in timeline.data), what="rows")
    h.frames(6)
    index = next(i for i, r in enumerate(timeline.data) if LONG_REASON in r.get("subtitle", ""))
    row = next(w for w in timeline.layout_manager.children if w.index == index)
    assert LONG_REASON in row.ids.subtitle_label.text
    _fits(row)
    assert row.height > timeline.layout_manager.default_size[1] + 1  # it grew
    assert h.find(LONG_ADDRESS, screen, exact=False) is not None
    h.screenshot("31-dossier-long-reason")


def _photo(path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 800), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 570, 770), outline="black", width=6)
    draw.rectangle((60, 60, 250, 290), fill=(170, 190, 215))
    for row in range(12):
        draw.line((280, 80 + row * 50, 540, 80 + row * 50), fill="gray", width=4)
    image.save(path)


def test_the_desktop_chooser_in_the_apps_look(
    h: Harness, world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("may-tinh")
    (folder / "Giấy tờ hộ tịch").mkdir()
    (folder / "ghi-chu.txt").write_text("không phải ảnh", encoding="utf-8")
    _photo(folder / "Giấy tờ hộ tịch" / "to-khai-ket-hon.png")
    _photo(folder / "cccd-mat-truoc.png")
    answers: list[Path | None] = []
    camera = world.ctx.platform.camera
    assert camera.can_capture is False  # a desktop: one button opens the chooser
    camera.start_dir = folder
    camera.take_photo(folder, answers.append)
    popup = h.dialog()
    assert popup.title == "Chọn ảnh giấy tờ"
    files = popup.ids.files
    assert [(r["kind"], r["title"]) for r in files.data] == [
        ("folder", "Giấy tờ hộ tịch"),
        ("photo", "cccd-mat-truoc.png"),
    ]
    assert popup.ids.choose.disabled  # nothing chosen yet
    h.tap(h.row(files, str(folder / "Giấy tờ hộ tịch")))  # into the folder
    h.wait(lambda: [r["title"] for r in files.data] == ["to-khai-ket-hon.png"], what="the folder")
    assert popup.heading.endswith("Giấy tờ hộ tịch")
    h.tap(popup.ids.up)
    h.wait(lambda: len(files.data) == 2, what="up again")
    h.tap(h.row(files, str(folder / "cccd-mat-truoc.png")))
    assert popup.preview == str(folder / "cccd-mat-truoc.png")
    assert popup.ids.preview.texture is not None and not popup.ids.choose.disabled
    assert [r.get("selected") for r in files.data] == [False, True]
    h.pause(1.0)  # the list's scroll effect settles (the harness scrolled to the row)
    popup.render()  # drawn again as opened: the list at its top, the selection kept
    h.frames(6)
    assert popup.preview == str(folder / "cccd-mat-truoc.png")
    h.screenshot("32-photo-chooser")
    h.tap(popup.ids.choose)
    h.wait(lambda: answers, what="the answer")
    assert answers == [folder / "cccd-mat-truoc.png"]
    # Cancelled: the intake is told nothing was chosen.
    camera.take_photo(folder, answers.append)
    h.tap(h.dialog().ids.cancel)
    h.wait(lambda: len(answers) == 2, what="the cancel")
    assert answers[1] is None


#: What the server says when it holds a dossier's legal dates (``server/sync/push.py``,
#: reason ``clock_confirm``, PROTOCOL.md §4): the longest refusal an officer meets.
HELD_MESSAGE = (
    "Cần xác nhận received_at: đồng hồ máy tính bảng chậm 730 ngày so với máy chủ "
    "(confirm received_at: the tablet's clock was 730 days behind the server's)"
)
HELD_ERROR = (
    "received_at = 2024-12-08T08:15:00+07:00: đồng hồ máy tính bảng chậm 730 ngày so với "
    "máy chủ, ngày này có thể sai; cán bộ kiểm tra, sửa hoặc xác nhận rồi lưu lại "
    "(the tablet's clock is 730 days behind the server's, so this date may be wrong; "
    "check it, correct or confirm it, and save again)"
)
CONFIRM_VI = "Xác nhận giữ nguyên"


def _refused_rows(h: Harness) -> list[Any]:
    h.frames(3)
    rows = h.screen("sync").ids.rejected
    return [v for v in rows.children[0].children if v.__class__.__name__ == "RejectedRow"]


def _refusal_fits(h: Harness, row: Any) -> None:
    """The record, the whole reason and the buttons under it, all inside the row."""
    texts, actions = row.ids.texts, row.ids.actions
    for label in (row.ids.title_label, row.ids.subtitle_label):
        assert not label.shorten and label.max_lines == 0
        assert label.texture_size[0] <= label.width + 1, (label.text, label.width)
        assert label.height + 1 >= label.texture_size[1]
    subtitle = row.ids.subtitle_label
    assert subtitle.texture_size[1] >= 2.8 * subtitle.font_size, "the reason is on 3+ lines"
    assert row.height + 1 >= texts.height + row.padding[1] + row.padding[3]
    assert row.owner.data[row.index]["height"] == pytest.approx(row.height, abs=1)
    buttons = [b for b in h.widgets(actions) if getattr(b, "text", "") and b.opacity]
    assert len(buttons) == (3 if row.can_confirm else 2)
    left, right = row.x + row.padding[0] - 1, row.right - row.padding[2] + 1
    for button in buttons:  # under the reason, inside the row, their words whole
        assert row.y - 1 <= button.y and button.top <= subtitle.y + 1, button.text
        assert left <= button.x and button.right <= right, (button.text, button.x, row.x)
        assert button.texture_size[0] <= button.width + 1, (button.text, button.width)
    for one, other in itertools.combinations(buttons, 2):
        assert not one.collide_widget(other), (one.text, other.text)


def test_a_long_refusal_wraps_on_the_sync_screen(
    h: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tablet = world.ctx.tablet
    held = tablet.create_dossier(1, LONG_NAME, received_at=tablet.now() - timedelta(days=3))
    refused = tablet.create_dossier(2, "Giàng Seo Phủ")
    apply = world.server._apply

    def refusing(op: Operation, device_no: int) -> Outcome:
        dossier = op.record_id if op.collection == "dossier" else op.fields.get("dossier_id")
        if dossier == held:  # the dossier and its "received" event, as the server does
            return Outcome(
                op.op_id,
                OutcomeKind.REJECTED,
                reason=Reason.CLOCK_CONFIRM,
                message=HELD_MESSAGE,
                errors={"received_at": HELD_ERROR},
            )
        if dossier == refused:
            return Outcome(
                op.op_id, OutcomeKind.REJECTED, reason=Reason.INVALID, message=LONG_REASON
            )
        return apply(op, device_no)

    monkeypatch.setattr(world.server, "_apply", refusing)
    h.app.go("sync")
    h.tap_text("Đồng bộ ngay")
    h.wait(lambda: len(_refused_rows(h)) >= 2, timeout=60, what="the refused rows")
    h.frames(8)

    listing = h.screen("sync").ids.rejected

    def check(last: str) -> None:
        listing.scroll_y = 1
        h.frames(6)
        [confirm] = [r for r in _refused_rows(h) if r.can_confirm and r.title.startswith("Hồ sơ")]
        assert HELD_ERROR.split(" (")[0] in confirm.ids.subtitle_label.text
        assert h.find(CONFIRM_VI, confirm) is not None
        _refusal_fits(h, confirm)
        assert confirm.height > listing.layout_manager.default_size[1]  # it grew
        listing.scroll_y = 0  # the last row: the record refused as invalid
        h.frames(6)
        [invalid] = [r for r in _refused_rows(h) if r.title.endswith("Giàng Seo Phủ")]
        assert LONG_REASON in invalid.ids.subtitle_label.text and not invalid.can_confirm
        _refusal_fits(h, invalid)
        h.screenshot(last)
        listing.scroll_y = 1
        h.frames(6)

    check("33c-sync-long-refusal-last-row")
    h.screenshot("33-sync-long-refusal")
    h.app.set_font_scale(1.4)  # the largest text size: the rows grow again
    h.frames(10)
    check("33d-sync-long-refusal-last-row-large-text")
    h.screenshot("33b-sync-long-refusal-large-text")
    h.app.set_font_scale(1.0)
