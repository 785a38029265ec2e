"""Intake and dossier screens' models: the verification toggle and button, the due date
shown before saving is the one saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from mobile.app.context import AppContext
from mobile.app.viewmodels.dossier import DossierModel
from mobile.app.viewmodels.intake import IntakeModel
from tests.mobile.app.conftest import fixed_clock
from tests.sync.fake_server import FakeServer


def _marriage(fake_server: FakeServer) -> None:
    # Same day with the 15:00 rule, +5 working days if verification is needed (Law on
    # Civil Status 2014 art. 18(2)).
    fake_server.add_reference(
        "procedure",
        50,
        {
            "code": "1.000894",
            "name_vi": "Đăng ký kết hôn (mới)",
            "name_en": "Marriage registration",
            "processing_days": 0,
            "cutoff_15h": True,
            "extension_days": 5,
            "required_documents": [],
            "active": True,
        },
    )


def test_verification_known_at_intake(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    _marriage(fake_server)
    ctx = make_ctx(physical=fixed_clock())  # Wed 04/03/2026 09:00
    model = IntakeModel(ctx)
    model.choose_procedure(50)
    assert model.can_verify()
    # Same day; with verification 5 working days: Thu 5, Fri 6, Mon 9, Tue 10, Wed 11/3.
    assert model.due_preview() == date(2026, 3, 4)
    assert model.due_text() == "Ngày hẹn trả kết quả: 17:00, ngày 04/03/2026"
    assert "11/03/2026" in model.verification_text()
    model.verification_needed = True
    assert "11/03/2026" in model.due_text()
    model.set_applicant(name="Giàng A Páo")
    model.step = "review"
    receipt = model.save()
    dossier = ctx.tablet.dossier(receipt.dossier_id)
    assert dossier is not None
    assert dossier["verification_needed"] is True
    assert dossier["verification_due_date"] == "2026-03-11"


def test_verification_recorded_from_the_dossier_screen(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    _marriage(fake_server)
    ctx = make_ctx(physical=fixed_clock())
    dossier_id = ctx.tablet.create_dossier(50, "Sùng Thị Mai")
    model = DossierModel(ctx, dossier_id)
    model.load()
    assert model.can_record_verification()
    assert any("Nếu cần xác minh: hẹn trả 11/03/2026" in line for line in model.header().lines)
    model.record_verification("Xác minh tình trạng hôn nhân")
    assert not model.can_record_verification()
    assert model.due() == date(2026, 3, 11)
    assert any("Cần xác minh: hẹn trả 11/03/2026" in line for line in model.header().lines)
