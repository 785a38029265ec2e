"""Slip 01 prints every party of the dossier (Law on Civil Status 2014, art. 18: both
the bride and the groom of a marriage), from the procedure's form.

Page 1 is rendered to ``test-artifacts/slips/01-parties.png`` for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sync.forms import party_rows
from sync.slips import Applicant, DossierSlipData, Office, receipt_slip

ROOT = Path(__file__).resolve().parents[3]
FORMS = json.loads((ROOT / "server/catalog/forms.json").read_text(encoding="utf-8"))
PARTIES = {
    "bride": {"full_name": "Giàng Thị Mai", "dob": "2001-04-05", "ethnicity": "Mông"},
    "groom": {"full_name": "Sùng A Páo", "dob": "1999-11-20", "cccd": "001099012345"},
}

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm")),
    reason="poppler-utils (pdftotext, pdftoppm) not installed",
)


def test_party_rows_follow_the_form_in_vietnamese() -> None:
    assert party_rows(FORMS["1.000894"], PARTIES, {}) == [
        (
            "Bên nữ",
            [
                ("Họ, chữ đệm và tên", "Giàng Thị Mai"),
                ("Ngày sinh", "05/04/2001"),
                ("Dân tộc", "Mông"),
            ],
        ),
        (
            "Bên nam",
            [
                ("Họ, chữ đệm và tên", "Sùng A Páo"),
                ("Ngày sinh", "20/11/1999"),
                ("Số định danh cá nhân (CCCD)", "001099012345"),
            ],
        ),
    ]
    assert party_rows(FORMS["2.000815"], {}, {"copies": 3, "pages": 2}) == [
        ("Thông tin hồ sơ", [("Số bản sao", "3"), ("Số trang", "2")])
    ]


def test_slip_01_prints_both_parties(tmp_path: Path) -> None:
    data = DossierSlipData(
        receipt_number="02965-2612-00007",
        procedure_name="Đăng ký kết hôn",
        procedure_code="1.000894",
        applicant=Applicant(name="Giàng Thị Mai"),
        documents=[("Tờ khai đăng ký kết hôn", True)],
        received_at=datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
        due_date=date(2026, 12, 7),
        officer_name="Sùng Thị Mai",
        channel_label="Trực tiếp tại Bộ phận một cửa",
        fee_vnd=0,
        status_url="https://motcua.example/tra-cuu/02965-2612-00007",
        working_days=0,
        parties=party_rows(FORMS["1.000894"], PARTIES, {}),
    )
    office = Office(
        commune_kind_name="xã Tả Van",
        province_name="tỉnh Lào Cai",
        place_name="Tả Van",
        phone="0214 3871 234",
    )
    pdf = tmp_path / "01.pdf"
    pdf.write_bytes(receipt_slip(office, data))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "Bên nữ — Họ, chữ đệm và tên: Giàng Thị Mai" in flat
    assert "Bên nam — Họ, chữ đệm và tên: Sùng A Páo" in flat
    assert "Ngày sinh: 20/11/1999" in flat
    artifacts = ROOT / "test-artifacts" / "slips"
    artifacts.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "80",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(artifacts / "01-parties"),
        ],
        check=True,
    )
