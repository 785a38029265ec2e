"""Intake wizard: procedure → applicant → papers and photos → due date → receipt with QR."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.intake import IntakeModel
from mobile.app.viewmodels.setup import FirstRunModel
from sync.checkcode import CHECK_CODE_RE
from sync.workdays import due_date
from tests.mobile.app.conftest import FIXED_NOW, PIN, fixed_clock
from tests.sync.fake_server import COMMUNE_CODE


def test_the_whole_wizard(make_ctx: Callable[..., AppContext], photo_file: Path) -> None:
    ctx = make_ctx(physical=fixed_clock())
    model = IntakeModel(ctx)
    assert [r["title"] for r in model.procedure_rows()] == [
        "Đăng ký kết hôn trong nước",
        "Đăng ký khai sinh",
        "Đăng ký kết hôn",
        "Chứng thực bản sao từ bản chính",
    ]
    with pytest.raises(UserError, match="Hãy chọn một thủ tục"):
        model.next()
    [marriage] = model.procedure_rows("1.004946 dang ky ket hon")
    assert marriage["subtitle"] == "1.004946 · 5 ngày làm việc"
    model.choose_procedure(marriage["record_id"])
    assert model.procedure_rows("1.004946")[0]["selected"]
    assert model.next() == "applicant"
    model.set_applicant(name="  ", cccd="12345", dob="31/02/1990", phone="0912")
    errors = model.applicant_errors()
    assert set(errors) == {"name", "cccd", "dob", "phone"}
    assert errors["cccd"] == "Số CCCD phải gồm đúng 12 chữ số"
    with pytest.raises(UserError):
        model.next()
    assert model.step == "applicant"
    village_id, village_name = model.villages()[1]
    assert village_name == "Thôn Thôn 2"
    model.set_applicant(
        name="Giàng A Páo",
        cccd="010085123456",  # born in 1985 by the card
        dob="17/05/1990",
        phone="0912 345 678",
        village_id=village_id,
        channel="village_visit",
    )
    assert model.applicant_errors() == {}
    assert model.applicant_warnings() == ["Số CCCD không khớp năm sinh; kiểm tra lại"]
    model.set_applicant(dob="17/05/1985")
    assert model.applicant_warnings() == []
    assert model.next() == "documents"
    assert [d["name"] for d in model.documents()] == ["Tờ khai (bắt buộc)", "CCCD (bắt buộc)"]
    assert model.missing_required() == 2
    assert model.toggle_document(0) is True
    assert model.toggle_document(1) is True
    assert model.toggle_document(1) is False
    assert model.missing_required() == 1
    model.add_photo(photo_file)
    with pytest.raises(UserError, match="Không đọc được ảnh"):
        model.add_photo(photo_file.with_name("khong-co.jpg"))
    assert model.next() == "review"
    expected_due = due_date(FIXED_NOW, 5)
    assert model.due_preview() == expected_due == date(2026, 3, 11)
    assert model.due_text() == "Ngày hẹn trả kết quả: 11/03/2026"
    summary = dict(model.summary())
    assert summary["Họ tên người nộp"] == "Giàng A Páo"
    assert summary["Thôn, bản"] == "Thôn Thôn 2"
    assert summary["Ảnh giấy tờ"] == "1"
    assert summary["Hình thức nộp"] == "Lưu động tại thôn, bản"
    receipt = model.save()
    assert model.step == "receipt"
    assert receipt.receipt_number == f"{COMMUNE_CODE}-2601-00001"
    assert receipt.due_date == expected_due
    code = (ctx.tablet.dossier(receipt.dossier_id) or {})["check_code"]
    assert CHECK_CODE_RE.fullmatch(code)  # made on the tablet, offline (issue 10 §11)
    assert receipt.status_url == f"http://motcua.test/tra-cuu/{receipt.receipt_number}?k={code}"
    assert receipt.qr_path is not None
    with Image.open(receipt.qr_path) as image:
        assert image.size[0] == image.size[1] >= 200
    dossier = ctx.tablet.dossier(receipt.dossier_id)
    assert dossier is not None
    assert dossier["applicant_dob"] == "1985-05-17"
    assert dossier["applicant_phone"] == "0912 345 678"
    assert dossier["channel"] == "village_visit" and dossier["village_id"] == village_id
    assert [d["provided"] for d in dossier["documents"]] == [True, False]
    [photo] = ctx.tablet.photos("dossier", receipt.dossier_id)
    assert photo["filename"] == "giay-to.jpg" and photo["content_type"] == "image/jpeg"
    model.reset()
    assert model.step == "procedure" and model.procedure is None and model.photos == []


def test_a_refusal_from_the_tablet_goes_back_to_the_field(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx()
    model = IntakeModel(ctx)
    model.choose_procedure(1)
    model.next()
    model.set_applicant(name="Thào A Lử", village_id=99)  # a village of another commune
    model.next()
    model.next()
    with pytest.raises(UserError) as refused:
        model.save()
    assert "village_id" in refused.value.errors
    assert model.step == "applicant"
    assert ctx.tablet.store.pending_count() == 0


def test_english_and_navigation(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx()
    ctx.tr.set_language("en")
    model = IntakeModel(ctx)
    assert model.procedure_rows("khai sinh")[0]["subtitle"] == "1.001193 · Same day"
    model.choose_procedure(1)
    model.next()
    assert model.back() == "procedure"
    assert model.back() == "procedure"
    model.next()
    model.set_applicant(name="Lý Láo Tả")
    model.next()
    model.next()
    model.go("applicant")
    assert model.step_number() == 2
    with pytest.raises(ValueError, match="cannot jump forward"):
        model.go("receipt")
    with pytest.raises(TypeError):
        model.set_applicant(nickname="Tả")


def test_camera_photos_leave_no_plain_copy(
    make_ctx: Callable[..., AppContext], photo_file: Path
) -> None:
    ctx = make_ctx()
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    camera = ctx.camera_dir()
    camera.mkdir(parents=True)
    shots = [camera / f"anh-{n}.jpg" for n in range(3)]
    for n, shot in enumerate(shots):
        shot.write_bytes(photo_file.read_bytes() + bytes([n]))
    model = IntakeModel(ctx)
    model.choose_procedure(1)
    model.next()
    model.set_applicant(name="Thào A Lử")
    model.next()
    for shot in shots:
        model.add_photo(shot)
        # Sealed in the store as soon as it is taken: the camera's plain file goes then.
        assert not shot.exists()
    model.add_photo(photo_file)  # picked from the officer's own files: left alone
    assert photo_file.exists()
    model.remove_photo(2)  # a blurred one, taken again
    model.next()
    receipt = model.save()
    stored = ctx.tablet.photos("dossier", receipt.dossier_id)
    assert {p["filename"] for p in stored} == {"anh-0.jpg", "anh-1.jpg", "giay-to.jpg"}
    for photo in stored:
        data = ctx.tablet.store.blob_bytes(photo["sha256"])
        # Not a picture Pillow reads (a made-up JPEG header): kept as it came.
        assert data is not None and data.startswith(photo_file.read_bytes())
    # Files the camera left when the app was killed before the photo was kept go at start.
    left = camera / "anh-10.jpg"
    left.write_bytes(b"\xff\xd8\xff\xe0 app killed")
    AppContext.open(ctx.data_dir, tablet=ctx.tablet, platform=ctx.platform)
    assert not left.exists() and camera.is_dir()


def test_a_marriage_intake_asks_for_both_parties(make_ctx: Callable[..., AppContext]) -> None:
    """Law on Civil Status 2014, art. 18: both the bride and the groom are recorded."""
    ctx = make_ctx(physical=fixed_clock())
    model = IntakeModel(ctx)
    model.choose_procedure(4)  # "Đăng ký kết hôn trong nước", with the shipped form
    assert model.steps() == (
        "procedure",
        "applicant",
        "party:bride",
        "party:groom",
        "documents",
        "review",
        "receipt",
    )
    model.next()
    model.set_applicant(name="Giàng Thị Mai")
    assert model.next() == "party:bride"
    assert model.form_title() == "Bên nữ"
    labels = [f.label for f in model.form_fields()]
    assert labels == [
        "Họ, chữ đệm và tên",
        "Ngày sinh",
        "Dân tộc",
        "Quốc tịch",
        "Số định danh cá nhân (CCCD)",
        "Nơi cư trú",
    ]
    assert model.form_fields()[3].value == "Việt Nam"  # the form's default
    model.set_form_values(full_name="Giàng Thị Mai", dob="05/04/2001", cccd="0123")
    with pytest.raises(UserError):
        model.next()
    errors = model.form_errors()
    assert errors["cccd"] == "Số CCCD phải gồm đúng 12 chữ số"
    assert errors["ethnicity"] == "Không được để trống"
    assert model.step == "party:bride"
    model.set_form_values(
        cccd="001301012345", ethnicity="Mông", residence="Bản Tả Van", dob="05/04/2001"
    )
    assert model.form_errors() == {}
    assert model.next() == "party:groom"
    saved = json.loads(json.dumps(model.draft_state()))  # a draft: plain JSON
    model.set_form_values(
        full_name="Sùng A Páo",
        dob="20/11/1999",
        ethnicity="Mông",
        cccd="001099012345",
        residence="Bản Lao Chải",
    )
    assert model.next() == "documents"
    model.next()
    assert model.step == "review"
    summary = dict(model.summary())
    assert summary["Bên nam · Họ, chữ đệm và tên"] == "Sùng A Páo"
    assert summary["Bên nữ · Ngày sinh"] == "05/04/2001"
    receipt = model.save()
    stored = ctx.tablet.dossier(receipt.dossier_id) or {}
    assert stored["parties"]["bride"] == {
        "full_name": "Giàng Thị Mai",
        "dob": "2001-04-05",
        "ethnicity": "Mông",
        "nationality": "Việt Nam",
        "cccd": "001301012345",
        "residence": "Bản Tả Van",
    }
    assert stored["parties"]["groom"]["full_name"] == "Sùng A Páo"

    again = IntakeModel(ctx)
    again.restore_draft(saved)
    assert again.step == "party:groom"
    assert again.party_values["bride"]["cccd"] == "001301012345"
