"""Slip 01 shows the appointment the law allows: the hour of a same-day appointment, the
longer date when verification is needed, calendar days (rendered to test-artifacts)."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from sync.slips import appointment_hour, receipt_slip
from sync.workdays import OFFICE_TZ
from tests.sync.slips.test_slips import OFFICE, flat, make_data, pdf_text, render

MARRIAGE = {"processing_days": 0, "cutoff_15h": True, "extension_days": 5}


def test_same_day_appointment_carries_the_hour(tmp_path: Path) -> None:
    # A marriage received Thu 12/02/2026 10:00, same day (Law on Civil Status art. 18):
    # returned by 17:00 that day; if verification is needed, by Thu 26/02/2026 (5 working
    # days, Tết 2026 in between).
    data = make_data(
        procedure_name="Đăng ký kết hôn",
        procedure_code="1.000894",
        received_at=datetime(2026, 2, 12, 10, 0, tzinfo=OFFICE_TZ),
        due_date=date(2026, 2, 12),
        working_days=0,
        due_hour=appointment_hour(MARRIAGE),
        verification_due_date=date(2026, 2, 26),
        extension_days=5,
    )
    pdf = receipt_slip(OFFICE, data, issued_on=date(2026, 2, 12))
    render(pdf, "01-marriage-same-day")
    text = flat(pdf_text(pdf, tmp_path))
    limit = "trả kết quả trong ngày; trường hợp cần xác minh: không quá 05 ngày làm việc"
    assert f"Thời gian giải quyết hồ sơ theo quy định là: {limit}" in text
    assert (
        "trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, ngày 12 tháng 02 năm 2026 (Thứ Năm)" in text
    )
    assert "Trường hợp cần xác minh, thời gian trả kết quả: ngày 26 tháng 02 năm 2026" in text


def test_verification_recorded_prints_the_longer_date_without_hour(tmp_path: Path) -> None:
    data = make_data(
        received_at=datetime(2026, 2, 12, 10, 0, tzinfo=OFFICE_TZ),
        due_date=date(2026, 2, 12),
        working_days=0,
        due_hour=time(17, 0),
        verification_due_date=date(2026, 2, 26),
        verification_needed=True,
        extension_days=5,
    )
    pdf = receipt_slip(OFFICE, data, issued_on=date(2026, 2, 12))
    render(pdf, "01-marriage-verification")
    text = flat(pdf_text(pdf, tmp_path))
    assert (
        "trả kết quả giải quyết hồ sơ: ngày 26 tháng 02 năm 2026 (Thứ Năm) (hồ sơ cần xác minh)"
        in text
    )
    assert "17 giờ 00" not in text


def test_calendar_days_on_the_slip(tmp_path: Path) -> None:
    # Land dispute mediation: 30 days (Land Law 2024 art. 235), ending Mon 09/03/2026.
    data = make_data(
        procedure_name="Hòa giải tranh chấp đất đai",
        procedure_code="1.012812",
        received_at=datetime(2026, 2, 6, 10, 0, tzinfo=OFFICE_TZ),
        due_date=date(2026, 3, 9),
        working_days=30,
        time_unit="calendar_days",
    )
    text = flat(pdf_text(receipt_slip(OFFICE, data, issued_on=date(2026, 2, 6)), tmp_path))
    assert "theo quy định là: 30 ngày " in text + " "
    assert "30 ngày làm việc" not in text
    assert "ngày 09 tháng 3 năm 2026 (Thứ Hai)" in text


def test_appointment_hour_only_for_same_day_procedures() -> None:
    assert appointment_hour(MARRIAGE) == time(17, 0)
    assert appointment_hour({"processing_days": 3}) is None
    assert appointment_hour({"processing_days": 30, "time_unit": "calendar_days"}) is None
    assert appointment_hour({}) is None
