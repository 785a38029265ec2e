"""Slip 01 as a PDF from the tablet: the server's slip, from the tablet's own records."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mobile.app.context import AppContext
from mobile.app.platform import LocalExports, NoLocation, Platform, use_bundled_fonts
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.intake import IntakeModel
from mobile.app.viewmodels.slips import (
    CHANNEL_LABELS,
    export_receipt,
    office_of,
    prepare_receipt_export,
    prepare_stop_notice_export,
    receipt_filename,
    receipt_slip_data,
)
from mobile.tablet import Tablet
from server.models import Dossier
from server.scoping import Scope
from server.services import dossier_admin
from sync.slips import receipt_slip
from sync.workdays import OFFICE_TZ
from tests import factories
from tests.conftest import LiveServer
from tests.mobile.app.conftest import TEST_SCRYPT_N, fixed_clock
from tests.sync.fake_server import COMMUNE_ID, FakeServer


def pdf_text(path: Path) -> str:
    finished = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return finished.stdout


def _with_province(server: FakeServer) -> None:
    server.add_reference("admin_unit", 1, {"name": "Lào Cai", "kind": "Tỉnh", "level": "province"})
    server.add_reference("admin_unit", COMMUNE_ID, {"parent_id": 1, "kind": "Xã"})


def _received_at_the_counter(ctx: AppContext) -> str:
    """A marriage registration through the intake wizard; the dossier's id."""
    model = IntakeModel(ctx)
    model.choose_procedure(3)
    model.next()
    model.set_applicant(
        name="Giàng A Páo",
        cccd="010085123456",
        dob="17/05/1985",
        phone="0912 345 678",
        address="Thôn 2, xã Tả Van",
        village_id=72,
        channel="village_visit",
    )
    model.next()
    model.toggle_document(0)
    return model.save().dossier_id


def test_the_receipt_as_a_pdf_in_the_exports_folder(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    _with_province(fake_server)
    ctx = make_ctx(physical=fixed_clock())
    dossier_id = _received_at_the_counter(ctx)
    number = str(ctx.tablet.dossier(dossier_id)["receipt_number"])  # type: ignore[index]

    path = export_receipt(ctx, dossier_id)

    assert path == ctx.data_dir / "exports" / f"receipt-{number}.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(path)
    assert "GIẤY TIẾP NHẬN HỒ SƠ" in text
    assert number in text
    assert "Giàng A Páo" in text
    assert "UBND XÃ TẢ VAN" in text
    assert f"http://motcua.test/tra-cuu/{number}" in text
    assert "Sùng Thị Mai" in text  # the officer who received it
    assert not list(path.parent.glob(".*.tmp"))
    # Made again: the same file, the same bytes (the slips are reproducible).
    before = path.read_bytes()
    assert export_receipt(ctx, dossier_id) == path and path.read_bytes() == before


def test_the_slip_data_comes_from_the_tablets_records(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    _with_province(fake_server)
    ctx = make_ctx(physical=fixed_clock())
    dossier_id = _received_at_the_counter(ctx)
    data = receipt_slip_data(ctx.tablet, dossier_id, "http://motcua.test/")
    office = office_of(ctx.tablet)
    assert (office.commune_kind_name, office.province_name, office.place_name) == (
        "xã Tả Van",
        "tỉnh Lào Cai",
        "Tả Van",
    )
    assert data.procedure_name == "Đăng ký kết hôn" and data.procedure_code == "1.004946"
    assert data.applicant.name == "Giàng A Páo"
    assert data.applicant.cccd == "010085123456"
    assert data.applicant.dob == date(1985, 5, 17)
    assert data.applicant.phone == "0912 345 678"  # as stored
    assert data.applicant.address == "Thôn 2, xã Tả Van"
    assert list(data.documents) == [("Tờ khai", True), ("CCCD", False)]
    assert data.received_at.tzinfo is not None
    assert data.due_date == date(2026, 3, 11)
    assert data.working_days == 5 and data.fee_vnd is None
    assert data.officer_name == "Sùng Thị Mai"
    assert data.channel_label == "Tiếp nhận lưu động tại thôn, bản"
    code = (ctx.tablet.dossier(dossier_id) or {})["check_code"]
    assert data.check_code == code and len(code) == 6
    assert data.status_url == f"http://motcua.test/tra-cuu/{data.receipt_number}?k={code}"


def test_a_colleagues_dossier_leaves_the_receiver_blank(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    ours, theirs = make_ctx(), make_ctx()
    dossier_id = theirs.tablet.create_dossier(1, "Vàng Thị Mỷ")
    assert theirs.tablet.sync(theirs.make_transport()).ok
    assert ours.tablet.sync(ours.make_transport()).ok
    data = receipt_slip_data(ours.tablet, dossier_id, "http://motcua.test")
    assert data.officer_name == ""  # no colleague's name on this tablet: signed by hand
    assert data.applicant.name == "Vàng Thị Mỷ"
    assert data.working_days == 0
    assert receipt_slip_data(theirs.tablet, dossier_id, "http://x").officer_name == "Sùng Thị Mai"


def test_what_the_tablet_lacks_is_said_plainly(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    fake_server.add_reference(
        "procedure",
        9,
        {"code": "2.000001", "name_vi": "Thủ tục chưa có thời hạn", "active": True},
    )
    ctx = make_ctx()
    with pytest.raises(UserError, match="Không tìm thấy hồ sơ"):
        prepare_receipt_export(ctx, "khong-co")
    no_due = ctx.tablet.create_dossier(9, "Lò Văn Sáng")
    with pytest.raises(UserError, match="chưa có ngày hẹn trả kết quả"):
        export_receipt(ctx, no_due)
    ctx.tr.set_language("en")
    with pytest.raises(UserError, match="no result due date"):
        export_receipt(ctx, no_due)
    assert not (ctx.data_dir / "exports").exists()


def test_the_export_goes_through_the_platform_facade(tmp_path: Path, tablet: Tablet) -> None:
    saved: list[tuple[Path, str, bytes]] = []

    class SharedStorage(LocalExports):
        def save(self, data_dir: Path, filename: str, content: bytes) -> Path:
            saved.append((data_dir, filename, content))
            return super().save(tmp_path / "shared", filename, content)

    ctx = AppContext.open(
        tmp_path / "app",
        tablet=tablet,
        platform=Platform(location=NoLocation(), probe=lambda _u: False, exports=SharedStorage()),
        scrypt_n=TEST_SCRYPT_N,
    )
    try:
        dossier_id = tablet.create_dossier(2, "Hầu A Dơ", applicant_phone="0987654321")
        path = export_receipt(ctx, dossier_id)
        number = str(tablet.dossier(dossier_id)["receipt_number"])  # type: ignore[index]
    finally:
        ctx.close()
    [(data_dir, filename, content)] = saved
    assert data_dir == tmp_path / "app" and filename == f"receipt-{number}.pdf"
    assert path == tmp_path / "shared" / "exports" / filename
    assert path.read_bytes() == content


def test_file_names_and_bundled_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert receipt_filename("02965-2603-00042") == "receipt-02965-2603-00042.pdf"
    assert receipt_filename("../x y") == "receipt-x_y.pdf"
    monkeypatch.delenv("MOTCUA_FONT_DIR", raising=False)
    fonts = tmp_path / "fonts"
    assert use_bundled_fonts(fonts) is None  # no such folder: the system's fonts
    fonts.mkdir()
    (fonts / "DejaVuSerif.ttf").write_bytes(b"")
    assert use_bundled_fonts(fonts) == fonts
    assert os.environ["MOTCUA_FONT_DIR"] == str(fonts)
    assert use_bundled_fonts(tmp_path / "other") is None  # an explicit setting wins


def test_the_tablets_pdf_is_the_servers_byte_for_byte(
    tmp_path: Path, live_server: LiveServer, world: Any, session: Session
) -> None:
    servers = {c.value: label for c, label in dossier_admin.CHANNEL_LABELS.items()}
    assert servers == CHANNEL_LABELS
    world.procedure.fee_vnd = 25000
    session.commit()
    tablet = Tablet(tmp_path / "tablet.db")
    ctx = AppContext.open(tmp_path / "app", tablet=tablet, scrypt_n=TEST_SCRYPT_N)
    try:
        tablet.register(live_server.url, world.a.officer.username, factories.PASSWORD)
        assert tablet.sync().ok
        born = date(1990, 5, 17)
        dossier_id = tablet.create_dossier(
            world.procedure.id,
            "Hầu A Dơ",
            applicant_cccd=factories.valid_cccd(born),
            applicant_dob=born,
            applicant_phone="0912345678",
            applicant_address="Bản Dền, xã Tả Van",
            channel="village_visit",
            provided_documents=[1],
        )
        report = tablet.sync()
        assert report.ok, report.error
        # The province's system issues the official code; an officer records it on the
        # web; the tablet pulls it and prints it beside the receipt number (schema 8).
        session.rollback()
        stored = session.get(Dossier, dossier_id)
        assert stored is not None
        official = f"000.00.21.H37-{stored.received_at.astimezone(OFFICE_TZ):%y%m%d}-0001"
        dossier_admin.record_official_code(
            session,
            Scope(None),
            dossier_id,
            official,
            officer=world.a.officer,
            now=datetime.now(UTC),
        )
        session.commit()
        assert tablet.sync().ok
        assert (tablet.dossier(dossier_id) or {})["official_code"] == official
        path = export_receipt(ctx, dossier_id)
        session.rollback()
        stored = session.get(Dossier, dossier_id)
        assert stored is not None
        office = dossier_admin.office_for(stored.commune)
        server_pdf = receipt_slip(office, dossier_admin.slip_data(stored, live_server.url))
        assert office == office_of(tablet)
        assert path.read_bytes() == server_pdf
        text = pdf_text(path)
        assert "25.000 đồng" in text and world.a.officer.full_name in text
        assert f"Mã hồ sơ: {official}" in text
    finally:
        ctx.close()


def test_a_stopped_dossier_exports_form_05_with_its_reason(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    """The tablet prints the same stop notice (form 05, Circular 03/2025/TT-VPCP) as
    the server, with the reason recorded on the timeline; before a stop there is none."""
    _with_province(fake_server)
    ctx = make_ctx(physical=fixed_clock())
    dossier_id = _received_at_the_counter(ctx)
    with pytest.raises(UserError, match="không dừng giải quyết"):
        prepare_stop_notice_export(ctx, dossier_id)
    reason = "Công dân có đơn đề nghị dừng giải quyết hồ sơ"
    ctx.tablet.change_status(dossier_id, "stopped", reason)
    path = prepare_stop_notice_export(ctx, dossier_id).write()
    number = str(ctx.tablet.dossier(dossier_id)["receipt_number"])  # type: ignore[index]
    assert path == ctx.data_dir / "exports" / f"stop-{number}.pdf"
    text = " ".join(pdf_text(path).split())
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert "Mẫu số 05" in text
    assert number in text
    assert "Giàng A Páo" in text
    assert reason in text
    assert "ỦY BAN NHÂN DÂN" in text and "XÃ TẢ VAN" in text
