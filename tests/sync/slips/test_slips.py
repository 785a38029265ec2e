"""The seven one-stop slips of Circular 03/2025/TT-VPCP, Annex I: real Vietnamese text in
the PDF, page sizes, QR, pagination.

Each test renders page 1 to ``test-artifacts/slips/*.png`` (gitignored) for a person to
look at; the text checks go through ``pdftotext`` (poppler-utils), which is also what
proves the Vietnamese letters are real text in an embedded font and not boxes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics

from sync.slips import (
    Applicant,
    DossierSlipData,
    LogRow,
    Office,
    TimelineRow,
    apology_slip,
    control_sheet,
    fmt,
    receipt_slip,
    refusal_slip,
    register_fonts,
    status_url,
    stop_notice,
    supplement_slip,
    tracking_log,
)
from sync.slips.fonts import (
    CONDENSED,
    CONDENSED_BOLD,
    SERIF,
    SERIF_BOLD,
    SERIF_BOLD_ITALIC,
    SERIF_ITALIC,
)
from sync.workdays import OFFICE_TZ, due_date

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "slips"

A5 = (419.5, 595.3)
A4_LANDSCAPE = (841.9, 595.3)

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm", "pdfinfo")),
    reason="poppler-utils (pdftotext, pdftoppm, pdfinfo) not installed",
)

# --- data -----------------------------------------------------------------------------------

OFFICE = Office(
    commune_kind_name="xã Tả Van",
    province_name="tỉnh Lào Cai",
    place_name="Tả Van",
    phone="0214 3871 234",
)
APPLICANT = Applicant(
    name="Hoàng Thị Thu Hương",
    cccd="010190012345",
    dob=date(1990, 5, 17),
    phone="0912 345 678",
    address="Thôn Séo Mí Tỷ, xã Tả Van, tỉnh Lào Cai",
)
RECEIPT = "08305-2603-00042"
# 08:30 UTC = 15:30 office time, after the 15:00 cutoff: counted from Friday 13/3.
RECEIVED_AT = datetime(2026, 3, 12, 8, 30, tzinfo=UTC)
PROCEDURE = (
    "Đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi "
    "(liên thông)"
)


def make_data(**changes: object) -> DossierSlipData:
    values: dict[str, object] = {
        "receipt_number": RECEIPT,
        "procedure_name": PROCEDURE,
        "procedure_code": "1.001193",
        "applicant": APPLICANT,
        "documents": [
            ("Tờ khai đăng ký khai sinh (bản chính)", True),
            ("Giấy chứng sinh do Trạm Y tế xã Tả Van cấp (bản chính)", True),
            ("Tờ khai thay đổi thông tin cư trú (mẫu CT01)", True),
            ("Tờ khai tham gia, điều chỉnh thông tin bảo hiểm xã hội, bảo hiểm y tế", False),
        ],
        "received_at": RECEIVED_AT,
        "due_date": due_date(RECEIVED_AT, 5),
        "officer_name": "Vàng Seo Phử",
        "channel_label": "Trực tiếp tại Trung tâm Phục vụ hành chính công",
        "fee_vnd": 50_000,
        "status_url": status_url("https://motcua.laocai.gov.vn/", RECEIPT),
    }
    values.update(changes)
    return DossierSlipData(**values)  # type: ignore[arg-type]


# --- helpers --------------------------------------------------------------------------------


def pdf_info(pdf: bytes, tmp_path: Path) -> tuple[int, tuple[float, float]]:
    """(pages, (width, height) in points of page 1)."""
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", out, re.M)[1])  # type: ignore[index]
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", out, re.M)
    assert size is not None
    return pages, (float(size[1]), float(size[2]))


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
    ).stdout


def flat(text: str) -> str:
    """Whitespace collapsed, for phrases that the layout may wrap over two lines."""
    return " ".join(text.split())


def render(pdf: bytes, name: str) -> Path:
    """Page 1 as ``test-artifacts/slips/<name>.png`` at 60 dpi."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", str(source),
         str(ARTIFACTS / name)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    png = ARTIFACTS / f"{name}.png"
    assert png.stat().st_size > 1000
    return png


def assert_size(actual: tuple[float, float], expected: tuple[float, float]) -> None:
    assert actual == pytest.approx(expected, abs=0.2)


def assert_heading(text: str, form_no: str, *, committee: bool = False) -> None:
    """The commune's centre (Decree 118/2025/NĐ-CP) heads forms 01-03, 06 and 07; the
    People's Committee, which signs them, heads forms 04 and 05."""
    if committee:
        assert "ỦY BAN NHÂN DÂN" in text
        assert "XÃ TẢ VAN" in text
        assert "TRUNG TÂM PHỤC VỤ" not in text
    else:
        assert "UBND XÃ TẢ VAN" in text
        assert "TRUNG TÂM PHỤC VỤ" in text
        assert "HÀNH CHÍNH CÔNG" in text
    assert "BỘ PHẬN TIẾP NHẬN" not in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert form_no in text


def assert_only_dejavu(pdf: bytes) -> None:
    """No base-14 font (Helvetica, Times) was used; DejaVu Serif is embedded."""
    assert b"DejaVuSerif" in pdf
    assert b"/Helvetica" not in pdf
    assert b"/Times-Roman" not in pdf


# --- slips ----------------------------------------------------------------------------------


def test_01_receipt_slip(tmp_path: Path) -> None:
    data = make_data()
    pdf = receipt_slip(OFFICE, data)

    pages, size = pdf_info(pdf, tmp_path)
    assert pages == 1
    assert_size(size, A5)
    text = pdf_text(pdf, tmp_path)
    assert_heading(text, "Mẫu số 01")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Tả Van, ngày 12 tháng 3 năm 2026" in text
    assert "Hoàng Thị Thu Hương" in text
    assert "Thôn Séo Mí Tỷ, xã Tả Van, tỉnh Lào Cai" in text
    assert text.count(RECEIPT) >= 2  # in the heading and under the QR code
    assert "Giấy chứng sinh do Trạm Y tế xã Tả Van cấp (bản chính)" in flat(text)
    assert "Thời gian nhận hồ sơ: 15 giờ 30 phút, ngày 12 tháng 3 năm 2026" in text
    # A 5-working-day limit counts from the day after receipt whatever the hour (Civil
    # Code 2015 art. 147): Fri 13, Mon 16, Tue 17, Wed 18, Thu 19/3/2026. No hour.
    assert data.due_date == date(2026, 3, 19)
    assert "Thời gian trả kết quả giải quyết hồ sơ: ngày 19 tháng 3 năm 2026 (Thứ Năm)" in flat(
        text
    )
    assert "05 ngày làm việc" in text
    assert "50.000 đồng" in text
    assert "Trung tâm Phục vụ hành chính công xã Tả Van tiếp nhận hồ sơ của" in flat(text)
    assert "Mã kiểm tra" not in text  # no check code given, none printed
    assert "NGƯỜI NỘP HỒ SƠ" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert "(Ký và ghi rõ họ tên)" in text
    assert "Vàng Seo Phử" in text
    # The QR code is an embedded image.
    assert b"/Subtype /Image" in pdf
    assert_only_dejavu(pdf)
    render(pdf, "mau-01-giay-tiep-nhan")


def test_01_prints_the_parties_the_check_code_and_both_codes(tmp_path: Path) -> None:
    """The hooks of slip 01: every party of the procedure (here both spouses of a
    marriage registration), the citizen's check code under the QR code, and the
    official dossier code beside the receipt number once the province issued it."""
    data = make_data(
        procedure_name="Đăng ký kết hôn",
        procedure_code="1.000894",
        parties=[
            ("Bên nam", [("Họ, chữ đệm và tên", "Giàng A Páo"), ("Số CCCD", "010099001234")]),
            ("Bên nữ", [("Họ, chữ đệm và tên", "Lò Thị Mỷ"), ("Số CCCD", "010301005678")]),
        ],
        check_code="K7M2Q9",
        official_code="000.00.21.H37-260312-0007",
    )
    pdf = receipt_slip(OFFICE, data)
    assert pdf_info(pdf, tmp_path)[0] == 1  # still one A5 page
    text = flat(pdf_text(pdf, tmp_path))
    for value in ("Giàng A Páo", "010099001234", "Lò Thị Mỷ", "010301005678"):
        assert value in text
    assert "Mã kiểm tra: K7M-2Q9" in text
    assert "Mã hồ sơ: 000.00.21.H37-260312-0007" in text
    assert f"Số biên nhận tại xã: {RECEIPT}" in text
    render(pdf, "mau-01-ket-hon-hai-ben")


def test_01_is_reproducible_and_the_status_url_is_printed(tmp_path: Path) -> None:
    data = make_data()
    assert receipt_slip(OFFICE, data) == receipt_slip(OFFICE, data)
    assert data.status_url == f"https://motcua.laocai.gov.vn/tra-cuu/{RECEIPT}"
    assert data.status_url in flat(pdf_text(receipt_slip(OFFICE, data), tmp_path)).replace(" ", "")


def test_01_prints_the_check_code_and_its_qr_link_carries_it(tmp_path: Path) -> None:
    """Issue 10 §11: the citizen's secret is on the slip, readable and in the QR link."""
    url = status_url("https://motcua.laocai.gov.vn/", RECEIPT, "K7M4QX")
    assert url == f"https://motcua.laocai.gov.vn/tra-cuu/{RECEIPT}?k=K7M4QX"
    text = flat(
        pdf_text(receipt_slip(OFFICE, make_data(status_url=url, check_code="K7M4QX")), tmp_path)
    )
    assert "Mã kiểm tra:" in text and "K7M-4QX" in text  # columns interleave in the text
    assert "K7M" not in flat(pdf_text(receipt_slip(OFFICE, make_data()), tmp_path))


def test_02_supplement_slip(tmp_path: Path) -> None:
    pdf = supplement_slip(
        OFFICE,
        make_data(),
        missing=[
            "Tờ khai tham gia, điều chỉnh thông tin bảo hiểm xã hội, bảo hiểm y tế (mẫu TK1-TS)",
            "Bản sao Giấy chứng nhận kết hôn của cha, mẹ trẻ (nếu có)",
        ],
        reason="Hồ sơ chưa có tờ khai tham gia bảo hiểm y tế để cấp thẻ BHYT cho trẻ.",
    )
    pages, size = pdf_info(pdf, tmp_path)
    assert pages == 1
    assert_size(size, A5)
    text = pdf_text(pdf, tmp_path)
    flat_text = flat(text)
    assert_heading(text, "Mẫu số 02")
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Hồ sơ của: Hoàng Thị Thu Hương" in text
    assert RECEIPT in text
    assert "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:" in text
    assert "Bản sao Giấy chứng nhận kết hôn của cha, mẹ trẻ (nếu có)" in flat_text
    assert "Lý do: Hồ sơ chưa có tờ khai tham gia bảo hiểm y tế" in flat_text
    assert "0214 3871 234" in text
    assert "NGƯỜI HƯỚNG DẪN" in text
    assert_only_dejavu(pdf)
    render(pdf, "mau-02-yeu-cau-bo-sung")


def test_03_refusal_slip(tmp_path: Path) -> None:
    company = (
        "Công ty Trách nhiệm hữu hạn Một thành viên Dịch vụ Du lịch Cộng đồng Séo Mí Tỷ - Tả Van"
    )
    data = make_data(
        applicant=Applicant(
            name=company,
            phone="0214 3999 888",
            address="Số 18 đường Mường Hoa, thôn Lồ Lao Chải, xã Tả Van, tỉnh Lào Cai",
        ),
        procedure_name="Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản",
        procedure_code="2.000913",
    )
    pdf = refusal_slip(
        OFFICE,
        data,
        "Tài sản là quyền sử dụng đất tại phường Sa Pa, không thuộc thẩm quyền chứng thực "
        "của Ủy ban nhân dân xã Tả Van theo Nghị định 23/2015/NĐ-CP.",
    )
    pages, size = pdf_info(pdf, tmp_path)
    assert pages == 1
    assert_size(size, A5)
    text = pdf_text(pdf, tmp_path)
    assert_heading(text, "Mẫu số 03")
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert company in flat(text)  # long name wrapped, not cut off
    assert "từ chối tiếp nhận, giải quyết hồ sơ này" in flat(text)
    assert "không thuộc thẩm quyền chứng thực" in flat(text)
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    render(pdf, "mau-03-tu-choi")


def test_04_apology_asks_for_an_extension(tmp_path: Path) -> None:
    """Form 04 of Circular 03/2025/TT-VPCP apologises and asks the citizen to extend
    the time limit (the 2018 form only set a new appointment)."""
    pdf = apology_slip(
        OFFICE,
        make_data(),
        reason="Phải xác minh thông tin cư trú của người mẹ tại thôn Séo Mí Tỷ do mưa lũ "
        "làm sạt lở đường vào thôn.",
        new_due_date=date(2026, 3, 26),
        signer_name="Giàng A Lử",
        signer_title="KT. Chủ tịch\nPhó Chủ tịch",
        issued_on=date(2026, 3, 20),
    )
    pages, size = pdf_info(pdf, tmp_path)
    assert pages == 1
    assert_size(size, A5)
    text = pdf_text(pdf, tmp_path)
    flat_text = flat(text)
    assert_heading(text, "Mẫu số 04", committee=True)
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in flat_text
    assert "Số: ……/……" in text
    assert "Tả Van, ngày 20 tháng 3 năm 2026" in text
    assert "Kính gửi: Ông/Bà Hoàng Thị Thu Hương" in text
    assert "Thời hạn trả kết quả đã hẹn: ngày 19 tháng 3 năm 2026" in flat_text
    assert (
        "đề nghị Ông/Bà đồng ý gia hạn thời gian giải quyết hồ sơ đến ngày 26 tháng 3 năm "
        "2026 (Thứ Năm)" in flat_text
    )
    assert "Ủy ban nhân dân xã Tả Van xin lỗi Ông/Bà" in flat_text
    assert "Phải xác minh thông tin cư trú của người mẹ" in flat_text
    assert "Nơi nhận:" in text
    assert "KT. CHỦ TỊCH" in text
    assert "PHÓ CHỦ TỊCH" in text
    assert "Giàng A Lử" in text
    render(pdf, "mau-04-xin-loi-gia-han")


def test_05_stop_notice(tmp_path: Path) -> None:
    """Form 05 (new in Circular 03/2025/TT-VPCP): the authority stops processing."""
    reason = (
        "Ông/bà có đơn đề nghị dừng giải quyết hồ sơ ngày 16/3/2026 để bổ sung giấy tờ "
        "chứng minh nơi cư trú của người mẹ."
    )
    pdf = stop_notice(
        OFFICE,
        make_data(),
        reason,
        signer_name="Giàng A Lử",
        signer_title="KT. Chủ tịch\nPhó Chủ tịch",
        issued_on=date(2026, 3, 17),
    )
    pages, size = pdf_info(pdf, tmp_path)
    assert pages == 1
    assert_size(size, A5)
    text = pdf_text(pdf, tmp_path)
    flat_text = flat(text)
    assert_heading(text, "Mẫu số 05", committee=True)
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert f"Mã hồ sơ: {RECEIPT}" in flat_text
    assert "Tả Van, ngày 17 tháng 3 năm 2026" in text
    assert "Kính gửi: Ông/Bà Hoàng Thị Thu Hương" in text
    assert "Ngày 12 tháng 3 năm 2026, Trung tâm Phục vụ hành chính công xã Tả Van" in flat_text
    assert "(mã TTHC: 1.001193)" in flat_text
    assert "Thời hạn trả kết quả đã hẹn: ngày 19 tháng 3 năm 2026 (Thứ Năm)" in flat_text
    assert "Ủy ban nhân dân xã Tả Van thông báo dừng giải quyết hồ sơ" in flat_text
    assert reason in flat_text
    assert "0214 3871 234" in text
    assert "KT. CHỦ TỊCH" in text
    assert "Giàng A Lử" in text
    assert_only_dejavu(pdf)
    render(pdf, "mau-05-dung-giai-quyet")


def test_06_control_sheet(tmp_path: Path) -> None:
    t0 = RECEIVED_AT
    rows = [
        TimelineRow(
            t0 + timedelta(minutes=20),
            "Trung tâm PVHCC xã Tả Van",
            "Công chức Tư pháp - Hộ tịch",
            "Vàng Seo Phử",
            "Lý Thị Mai",
            "Đúng hạn",
            "Hồ sơ điện tử và bản giấy",
        ),
        TimelineRow(
            t0 + timedelta(days=4, hours=1),
            "Công chức Tư pháp - Hộ tịch",
            "Công an xã Tả Van (đăng ký thường trú)",
            "Lý Thị Mai",
            "Thào Seo Lìn",
            "Trước hạn",
        ),
        TimelineRow(
            t0 + timedelta(days=6, hours=2),
            "Công an xã Tả Van",
            "Lãnh đạo UBND xã (ký kết quả)",
            "Thào Seo Lìn",
            "Giàng A Lử",
            "Đúng hạn",
        ),
        TimelineRow(
            t0 + timedelta(days=7, hours=1, minutes=5),
            "Lãnh đạo UBND xã",
            "Trung tâm PVHCC xã Tả Van",
            "Giàng A Lử",
            "Vàng Seo Phử",
            "Đúng hạn",
            "Trả kết quả cho công dân",
        ),
    ]
    pdf = control_sheet(OFFICE, make_data(), rows)
    pages, size = pdf_info(pdf, tmp_path)
    assert pages == 1
    assert_size(size, A5)
    text = pdf_text(pdf, tmp_path)
    flat_text = flat(text)
    assert_heading(text, "Mẫu số 06")
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert RECEIPT in text
    assert "Hoàng Thị Thu Hương" in text
    assert "THỜI GIAN GIAO" in text
    # Office time (UTC+7), not UTC; the cell may wrap between the time and the date.
    assert "15 giờ 50 phút" in text
    assert "12/03/2026" in text
    assert "Công an xã Tả Van" in text
    assert "thường trú)" in text
    assert "Trước hạn" in text
    assert "Thào Seo Lìn" in text
    assert "hẹn trả kết quả: ngày 19 tháng 3 năm 2026 (Thứ Năm)" in flat_text
    render(pdf, "mau-06-phieu-kiem-soat")


def _log_rows(count: int) -> list[LogRow]:
    names = [
        "Hoàng Thị Thu Hương",
        "Giàng Seo Chứ",
        "Lò Thị Mỷ",
        "Công ty TNHH Dịch vụ Du lịch Cộng đồng Séo Mí Tỷ - Tả Van",
        "Nguyễn Thị Ngọc Ánh",
        "Vàng A Dế",
    ]
    procedures = [
        ("Đăng ký khai sinh", 0),
        ("Đăng ký kết hôn", 0),
        ("Chứng thực bản sao từ bản chính giấy tờ, văn bản", 0),
        ("Đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi", 5),
        ("Xác nhận tình trạng hôn nhân", 3),
    ]
    rows = []
    for i in range(count):
        received = datetime(2026, 3, 2, 8, 0, tzinfo=OFFICE_TZ) + timedelta(hours=7 * i)
        procedure, days = procedures[i % len(procedures)]
        due = due_date(received, days)
        returned = due if i % 3 == 0 else None
        rows.append(
            LogRow(
                receipt_number=f"08305-2603-{i + 1:05d}",
                procedure_name=procedure,
                applicant_name=names[i % len(names)],
                received_at=received,
                due_date=due,
                copies=1 + i % 2,
                address=f"Thôn Séo Mí Tỷ, xã Tả Van, tỉnh Lào Cai (hộ {i + 1})",
                phone=f"0912 345 {i:03d}",
                lead_agency="UBND xã Tả Van",
                transferred_to="Công chức Tư pháp - Hộ tịch" if i % 2 else "Công an xã Tả Van",
                returned_on=returned,
                returned_to=names[i % len(names)] if returned else "",
                note="Trả qua bưu chính" if i % 7 == 0 else "",
            )
        )
    return rows


def test_07_tracking_log_paginates_with_a_repeated_header(tmp_path: Path) -> None:
    pdf = tracking_log(
        OFFICE,
        date(2026, 3, 1),
        date(2026, 3, 31),
        _log_rows(60),
        keeper_name="Vàng Seo Phử",
        issued_on=date(2026, 3, 31),
    )
    pages, size = pdf_info(pdf, tmp_path)
    assert pages >= 2
    assert_size(size, A4_LANDSCAPE)
    text = pdf_text(pdf, tmp_path)
    assert_heading(text, "Mẫu số 07")
    assert "SỔ THEO DÕI HỒ SƠ" in text
    assert "Từ ngày 01 tháng 3 năm 2026 đến ngày 31 tháng 3 năm 2026" in text
    page_texts = [page for page in text.split("\f") if page.strip()]
    assert len(page_texts) == pages
    for number, page in enumerate(page_texts, start=1):
        assert "Mã hồ sơ" in page
        assert "Tên thủ tục hành chính" in flat(page)
        assert "Ký nhận" in page
        assert f"Trang {number}/{pages}" in page
    assert "08305-2603-00001" in page_texts[0]
    assert "08305-2603-00060" in page_texts[-1]
    assert "Tổng số: 60 hồ sơ." in page_texts[-1]
    assert "Hoàng Thị Thu Hương" in text
    assert "02/03/2026" in text
    render(pdf, "mau-07-so-theo-doi")


def test_07_tracking_log_empty_period(tmp_path: Path) -> None:
    pdf = tracking_log(OFFICE, date(2026, 1, 5), date(2026, 1, 5), [], issued_on=date(2026, 1, 5))
    pages, size = pdf_info(pdf, tmp_path)
    assert pages == 1
    assert_size(size, A4_LANDSCAPE)
    text = pdf_text(pdf, tmp_path)
    assert "Ngày 05 tháng 01 năm 2026" in text
    assert "Không có hồ sơ trong kỳ." in text
    with pytest.raises(ValueError, match="before"):
        tracking_log(OFFICE, date(2026, 2, 1), date(2026, 1, 1), [])


# --- formatting, fonts and data -----------------------------------------------------------


def test_vietnamese_dates_times_and_money() -> None:
    assert fmt.day_month_year(date(2026, 3, 12)) == "ngày 12 tháng 3 năm 2026"
    assert fmt.day_month_year(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert fmt.day_month_year(date(2026, 12, 31)) == "ngày 31 tháng 12 năm 2026"
    assert fmt.place_date("Tả Van", date(2026, 3, 12)) == "Tả Van, ngày 12 tháng 3 năm 2026"
    assert fmt.clock(datetime(2026, 3, 12, 8, 30, tzinfo=UTC)) == "15 giờ 30 phút"
    assert (
        fmt.moment_text(datetime(2026, 3, 12, 17, 5, tzinfo=UTC))
        == "00 giờ 05 phút, ngày 13 tháng 3 năm 2026"
    )
    assert fmt.weekday(date(2026, 3, 15)) == "Chủ nhật"
    assert fmt.money(50_000) == "50.000 đồng"
    assert fmt.money(1_250_000) == "1.250.000 đồng"
    assert fmt.money(0) == "0 đồng"
    assert fmt.fee_text(0) == "Không thu phí, lệ phí"
    assert fmt.short_date(datetime(2026, 3, 31, 18, 0, tzinfo=UTC)) == "01/04/2026"
    with pytest.raises(ValueError, match="timezone-aware"):
        fmt.clock(datetime(2026, 3, 12, 8, 30))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_data(received_at=datetime(2026, 3, 12, 8, 30))
    with pytest.raises(ValueError, match="timezone-aware"):
        TimelineRow(datetime(2026, 3, 12, 8, 30), "a", "b")


def test_fonts_have_every_vietnamese_letter() -> None:
    """reportlab would print a missing glyph as a box without complaint: check the cmaps."""
    register_fonts()
    lower = (
        "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
    )
    letters = set(lower + lower.upper() + "0123456789.,:;/()-–…")
    for face in (SERIF, SERIF_BOLD, SERIF_ITALIC, SERIF_BOLD_ITALIC, CONDENSED, CONDENSED_BOLD):
        cmap = pdfmetrics.getFont(face).face.charToGlyph
        missing = sorted(c for c in letters if ord(c) not in cmap)
        assert missing == [], face
