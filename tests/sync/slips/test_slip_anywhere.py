"""Slip 01 of a dossier filed anywhere in the province: received by one commune's centre,
settled by another's, the result returned where the citizen asked (Decree 118/2025/NĐ-CP,
filing "không phụ thuộc vào địa giới hành chính")."""

from __future__ import annotations

from pathlib import Path

from sync.slips import receipt_slip
from tests.sync.slips.test_slips import OFFICE, flat, make_data, pdf_info, pdf_text, render

SA_PA = "Trung tâm Phục vụ hành chính công phường Sa Pa"
TA_VAN = "Trung tâm Phục vụ hành chính công xã Tả Van"


def test_01_names_the_settling_centre_and_the_return_place(tmp_path: Path) -> None:
    data = make_data(settling_centre=SA_PA, result_place=SA_PA)
    pdf = receipt_slip(OFFICE, data)
    assert pdf_info(pdf, tmp_path)[0] == 1  # still one A5 page
    text = flat(pdf_text(pdf, tmp_path))
    assert f"{TA_VAN} tiếp nhận hồ sơ của" in text  # the receiving centre
    assert f"Hồ sơ được chuyển đến {SA_PA} để giải quyết theo thẩm quyền." in text
    assert f"Đăng ký nhận kết quả tại: {SA_PA}" in text
    render(pdf, "mau-01-noi-khac-giai-quyet")


def test_01_result_returned_at_the_receiving_centre(tmp_path: Path) -> None:
    text = flat(pdf_text(receipt_slip(OFFICE, make_data(settling_centre=SA_PA)), tmp_path))
    assert f"chuyển đến {SA_PA}" in text
    assert f"Đăng ký nhận kết quả tại: {TA_VAN}" in text


def test_01_of_a_dossier_settled_where_it_was_received_says_nothing_more(
    tmp_path: Path,
) -> None:
    text = flat(pdf_text(receipt_slip(OFFICE, make_data()), tmp_path))
    assert "chuyển đến" not in text
    assert f"Đăng ký nhận kết quả tại: {TA_VAN}" in text
