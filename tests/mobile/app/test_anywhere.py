"""Filing anywhere in the province on the tablet (Decree 118/2025/NĐ-CP): the intake's
settling step, the dossier's centres and handover, the timeline, slip 01 — the view
models the screens use, on a fake server whose province has a second commune."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.dossier import DossierModel
from mobile.app.viewmodels.intake import IntakeModel
from mobile.app.viewmodels.slips import office_of, receipt_slip_data
from sync.slips import Office, receipt_slip
from tests.mobile.app.conftest import fixed_clock
from tests.mobile.app.province import BAN_HO, CERTIFICATION, SA_PA, seed_province
from tests.sync.fake_server import COMMUNE_ID, FakeServer

BIRTH = "1"  # not on the list


@pytest.fixture
def ctx(fake_server: FakeServer, make_ctx: Callable[..., AppContext]) -> AppContext:
    seed_province(fake_server)
    return make_ctx(physical=fixed_clock())


def _to_review(model: IntakeModel) -> None:
    model.set_applicant(name="Lý Thị Sử", cccd="010195012345", dob="08/03/1995")
    while model.step != "review":
        model.next()


def test_the_intake_asks_who_settles_and_where_the_result_goes(ctx: AppContext) -> None:
    model = IntakeModel(ctx)
    model.choose_procedure(BIRTH)
    assert "settling" not in model.steps()  # not on the list: settled here
    model.choose_procedure(CERTIFICATION)
    assert model.steps()[:3] == ("procedure", "settling", "applicant")
    assert model.next() == "settling"
    choices = model.settling_choices()
    assert choices[0] == (COMMUNE_ID, "Xã Tả Van (xã tiếp nhận)")  # this one first
    assert (SA_PA, "Phường Sa Pa") in choices and (BAN_HO, "Xã Bản Hồ") in choices
    assert model.settling_id() == COMMUNE_ID  # by default
    model.set_settling(SA_PA)
    model.set_return_to("settling")
    assert model.next() == "applicant"
    _to_review(model)
    summary = dict(model.summary())
    assert summary["Xã giải quyết"] == "Phường Sa Pa"
    assert summary["Nơi trả kết quả"] == "Phường Sa Pa"
    # Kept in the draft and back again.
    state = model.draft_state()
    assert state is not None
    again = IntakeModel(ctx)
    again.restore_draft(state)
    assert (again.settling_id(), again.return_commune_id()) == (SA_PA, SA_PA)
    receipt = model.save()
    stored = ctx.tablet.dossier(receipt.dossier_id) or {}
    assert stored["settling_commune_id"] == SA_PA
    assert stored["return_commune_id"] == SA_PA
    assert receipt.receipt_number.startswith("02965-")  # this commune's number
    kinds = [e["kind"] for e in ctx.tablet.timeline(receipt.dossier_id)]
    assert kinds == ["received", "handed_over"]


def test_choosing_this_commune_again_returns_the_result_here(ctx: AppContext) -> None:
    model = IntakeModel(ctx)
    model.choose_procedure(CERTIFICATION)
    model.next()
    model.set_settling(SA_PA)
    model.set_return_to("settling")
    model.set_settling(COMMUNE_ID)
    assert model.return_commune_id() == COMMUNE_ID
    with pytest.raises(ValueError, match="unknown place of return"):
        model.set_return_to("elsewhere")


def test_the_dossier_shows_both_centres_and_is_handed_over(ctx: AppContext) -> None:
    model = IntakeModel(ctx)
    model.choose_procedure(CERTIFICATION)
    model.next()
    model.set_settling(SA_PA)
    model.next()
    _to_review(model)
    dossier_id = model.save().dossier_id

    dossier = DossierModel(ctx, dossier_id)
    assert (
        "Tiếp nhận: Xã Tả Van · Giải quyết: Phường Sa Pa · Trả kết quả: Xã Tả Van"
        in dossier.header().lines
    )
    assert dossier.can_hand_over()
    # Sa Pa processes and decides; the receiving commune does not (the server's rule).
    assert not dossier.settles_here()
    assert dossier.actions() == [] and not dossier.can_correct()
    assert dossier.no_actions_text().startswith("Phường Sa Pa giải quyết hồ sơ này")
    assert not dossier.can_record_verification()
    assert [name for _cid, name in dossier.handover_choices()] == ["Xã Bản Hồ", "Xã Tả Van"]
    assert dossier.handover_reason_required()  # the intake handed it over once
    with pytest.raises(UserError) as refused:
        dossier.hand_over(BAN_HO, "  ")
    assert refused.value.errors == {"reason": "Không được để trống"}
    with pytest.raises(UserError):
        dossier.hand_over(None, "Chọn nhầm")
    message = dossier.hand_over(BAN_HO, "Người nộp thường trú tại Bản Hồ")
    assert message == "Đã bàn giao cho Xã Bản Hồ"
    assert dossier.settling_id() == BAN_HO
    rows = dossier.timeline_rows()
    handovers = [r for r in rows if "Bàn giao cho xã giải quyết" in r["title"]]
    assert [r["subtitle"] for r in handovers] == [
        "Từ Xã Tả Van đến Phường Sa Pa",
        "Từ Phường Sa Pa đến Xã Bản Hồ · Lý do: Người nộp thường trú tại Bản Hồ",
    ]
    assert all(not r["synced"] for r in handovers)  # written through the store, to send
    # A usual dossier names no centres and offers no handover.
    usual = IntakeModel(ctx)
    usual.choose_procedure(BIRTH)
    usual.next()
    _to_review(usual)
    plain = DossierModel(ctx, usual.save().dossier_id)
    assert not any(line.startswith("Tiếp nhận:") for line in plain.header().lines)
    assert not plain.can_hand_over()
    assert plain.settles_here() and plain.actions() and plain.can_correct()


def test_slip_01_from_the_tablet_names_the_settling_centre(ctx: AppContext, tmp_path: Path) -> None:
    model = IntakeModel(ctx)
    model.choose_procedure(CERTIFICATION)
    model.next()
    model.set_settling(SA_PA)
    model.set_return_to("settling")
    model.next()
    _to_review(model)
    dossier_id = model.save().dossier_id
    data = receipt_slip_data(ctx.tablet, dossier_id, "http://motcua.test")
    assert data.settling_centre == "Trung tâm Phục vụ hành chính công phường Sa Pa"
    assert data.result_place == "Trung tâm Phục vụ hành chính công phường Sa Pa"
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(receipt_slip(Office("xã Tả Van", "tỉnh Lào Cai", "Tả Van"), data))
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    assert "chuyển đến Trung tâm Phục vụ hành chính công phường Sa Pa" in text


def test_slip_01_of_a_dossier_received_elsewhere_is_the_receiving_centres(
    ctx: AppContext,
) -> None:
    """Sa Pa's tablet prints slip 01 of a dossier Tả Van received: Tả Van's heading."""
    tablet = ctx.tablet
    assert office_of(tablet).commune_kind_name == "xã Tả Van"
    office = office_of(tablet, SA_PA)
    assert (office.commune_kind_name, office.place_name) == ("phường Sa Pa", "Sa Pa")
    assert office.authority == "UBND PHƯỜNG SA PA"
    assert office_of(tablet, COMMUNE_ID) == office_of(tablet)
