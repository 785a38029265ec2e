"""Slip 07 (Annex I of Circular 03/2025/TT-VPCP), Sổ theo dõi hồ sơ: the tracking log of
the dossiers received over a period.

A4 landscape, one row per dossier, set in DejaVu Serif Condensed so that the thirteen
columns of the circular fit; the table header is repeated on every page and every page
carries "Trang x/y".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Spacer

from sync.slips import fmt
from sync.slips.data import LogRow, Office
from sync.slips.fonts import CONDENSED, CONDENSED_BOLD
from sync.slips.layout import (
    A4_LOG,
    Signer,
    Styles,
    build_pdf,
    heading,
    keep,
    make_table,
    signatures,
)
from sync.workdays import OFFICE_TZ

TITLE_07 = "SỔ THEO DÕI HỒ SƠ"

#: (header, share of the table width). "Trả kết quả" spans the two columns after it.
_COLUMNS: tuple[tuple[str, float], ...] = (
    ("STT", 0.030),
    ("Mã hồ sơ", 0.098),
    ("Tên thủ tục hành chính", 0.132),
    ("Số lượng hồ sơ (bộ)", 0.045),
    ("Tên cá nhân, tổ chức", 0.108),
    ("Địa chỉ, số điện thoại", 0.135),
    ("Cơ quan chủ trì giải quyết", 0.072),
    ("Ngày nhận hồ sơ", 0.062),
    ("Hẹn trả kết quả", 0.062),
    ("Chuyển hồ sơ đến cơ quan giải quyết", 0.075),
    ("Ngày, tháng, năm", 0.062),
    ("Ký nhận", 0.062),
    ("Ghi chú", 0.057),
)
_RETURN_FIRST = 10  # index of "Trả kết quả: ngày, tháng, năm"


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    size = 7.6
    cell = ParagraphStyle("log_cell", fontName=CONDENSED, fontSize=size, leading=size * 1.22)
    center = ParagraphStyle("log_center", parent=cell, alignment=1)
    head = ParagraphStyle("log_head", parent=center, fontName=CONDENSED_BOLD)
    return cell, center, head


def tracking_log(
    office: Office,
    period_start: date,
    period_end: date,
    rows: Sequence[LogRow],
    *,
    keeper_name: str = "",
    issued_on: date | None = None,
) -> bytes:
    """Mẫu số 07: Sổ theo dõi hồ sơ from ``period_start`` to ``period_end`` (inclusive).

    ``rows`` are printed in the given order, numbered from 1. ``issued_on`` (the date
    line) defaults to today in office time.
    """
    if period_end < period_start:
        raise ValueError("period_end is before period_start")
    s = Styles(A4_LOG)
    cell, center, head = _styles()
    width = A4_LOG.width
    on = issued_on or datetime.now(OFFICE_TZ).date()

    story: list[Flowable] = heading(office, s, "Mẫu số 07", on)
    period = (
        f"Từ {fmt.day_month_year(period_start)} đến {fmt.day_month_year(period_end)}"
        if period_start != period_end
        else fmt.day_month_year(period_start).capitalize()
    )
    story.append(Paragraph(f"<b>{TITLE_07}</b>", s.title))
    story.append(Paragraph(f"{fmt.x(office.desk)}<br/><i>{fmt.x(period)}</i>", s.subtitle))

    headers = [Paragraph(text, head) for text, _share in _COLUMNS]
    top = list(headers)
    top[_RETURN_FIRST] = Paragraph("Trả kết quả", head)
    top[_RETURN_FIRST + 1] = ""
    second: list[Flowable | str] = [""] * len(_COLUMNS)
    second[_RETURN_FIRST] = headers[_RETURN_FIRST]
    second[_RETURN_FIRST + 1] = headers[_RETURN_FIRST + 1]
    numbers = [Paragraph(f"<i>({n})</i>", center) for n in range(1, len(_COLUMNS) + 1)]

    body: list[list[Flowable | str]] = []
    for n, row in enumerate(rows, start=1):
        contact = "<br/>".join(fmt.x(part) for part in (row.address, row.phone) if part)
        body.append(
            [
                Paragraph(str(n), center),
                Paragraph(fmt.x(row.receipt_number), center),
                Paragraph(fmt.x(row.procedure_name), cell),
                Paragraph(fmt.two_digits(row.copies), center),
                Paragraph(fmt.x(row.applicant_name), cell),
                Paragraph(contact, cell),
                Paragraph(fmt.x(row.lead_agency), cell),
                Paragraph(fmt.short_date(row.received_at), center),
                Paragraph(fmt.short_date(row.due_date), center),
                Paragraph(fmt.x(row.transferred_to), cell),
                Paragraph(fmt.short_date(row.returned_on) if row.returned_on else "", center),
                Paragraph(fmt.x(row.returned_to), cell),
                Paragraph(fmt.x(row.note), cell),
            ]
        )
    if not rows:
        empty: list[Flowable | str] = [""] * len(_COLUMNS)
        empty[2] = Paragraph("<i>Không có hồ sơ trong kỳ.</i>", cell)
        body.append(empty)

    widths = [width * share for _text, share in _COLUMNS]
    widths[-1] = width - sum(widths[:-1])
    data: list[list[Flowable | str]] = [top, second, numbers, *body]
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, 2), "MIDDLE"),
        ("VALIGN", (0, 3), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 2), (-1, 2), 0.5),
        ("BOTTOMPADDING", (0, 2), (-1, 2), 1.5),
        ("BACKGROUND", (0, 0), (-1, 2), colors.Color(0.92, 0.92, 0.92)),
        ("SPAN", (_RETURN_FIRST, 0), (_RETURN_FIRST + 1, 0)),
    ]
    for col in range(len(_COLUMNS)):
        if col not in (_RETURN_FIRST, _RETURN_FIRST + 1):
            commands.append(("SPAN", (col, 0), (col, 1)))
    story.append(make_table(data, widths, commands, repeat_rows=3))

    story.append(Spacer(1, 6))
    story.append(
        keep(
            Paragraph(f"Tổng số: <b>{len(rows)}</b> hồ sơ.", s.body),
            signatures(s, [None, Signer("NGƯỜI LẬP SỔ", keeper_name)], space=40),
        )
    )

    label = f"Sổ theo dõi hồ sơ - {office.desk} - {fmt.short_date(period_start)}"
    label += f" đến {fmt.short_date(period_end)}"

    def footer(number: int, total: int) -> str:
        return f"{label} - Trang {number}/{total}"

    return build_pdf(
        A4_LOG,
        story,
        title=f"Mẫu số 07 - Sổ theo dõi hồ sơ - {office.commune_kind_name}",
        subject=label,
        footer=footer,
    )
