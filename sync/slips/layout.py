"""Page geometry, paragraph styles and the building blocks shared by every slip.

The blocks follow the presentation of administrative documents (Decree 30/2020/NĐ-CP)
scaled down to A5: the two-column heading (issuing body on the left, national title and
motto on the right), the centred bold title, running text and the signature blocks.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from sync.slips import fmt
from sync.slips.data import Office
from sync.slips.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC, register_fonts

A5_PORTRAIT: tuple[float, float] = A5
A4_LANDSCAPE: tuple[float, float] = landscape(A4)

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
#: The commune's one-stop (Decree 118/2025/NĐ-CP): its Public Administrative Service Centre.
DESK_TITLE = "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"
SIGN_HINT = "(Ký và ghi rõ họ tên)"
#: reportlab's default padding inside a page frame, on each side.
FRAME_PADDING = 6.0


@dataclass(frozen=True)
class Page:
    """Paper size, margins and type sizes of one kind of slip."""

    size: tuple[float, float]
    left: float
    right: float
    top: float
    bottom: float
    heading_pt: float  # the two-column heading
    title_pt: float
    body_pt: float
    small_pt: float

    @property
    def width(self) -> float:
        """Width available to the flowables (the frame less its 6 pt paddings)."""
        return self.size[0] - self.left - self.right - 2 * FRAME_PADDING


A5_SLIP = Page(
    size=A5_PORTRAIT,
    left=14 * mm,
    right=9 * mm,
    top=8 * mm,
    bottom=10 * mm,
    heading_pt=8.0,
    title_pt=11.0,
    body_pt=8.5,
    small_pt=7.2,
)
A4_LOG = Page(
    size=A4_LANDSCAPE,
    left=12 * mm,
    right=10 * mm,
    top=8 * mm,
    bottom=11 * mm,
    heading_pt=10.0,
    title_pt=14.0,
    body_pt=10.0,
    small_pt=8.0,
)


class Styles:
    """The paragraph styles of one page kind."""

    def __init__(self, page: Page) -> None:
        register_fonts()
        b, h = page.body_pt, page.heading_pt
        self.page = page
        self.heading = ParagraphStyle(
            "heading", fontName=SERIF, fontSize=h, leading=h * 1.3, alignment=TA_CENTER
        )
        self.form_no = ParagraphStyle(
            "form_no",
            fontName=SERIF_BOLD,
            fontSize=page.small_pt,
            leading=page.small_pt * 1.2,
            alignment=TA_RIGHT,
        )
        self.date_line = ParagraphStyle(
            "date_line", fontName=SERIF_ITALIC, fontSize=h, leading=h * 1.3, alignment=TA_CENTER
        )
        self.title = ParagraphStyle(
            "title",
            fontName=SERIF_BOLD,
            fontSize=page.title_pt,
            leading=page.title_pt * 1.3,
            alignment=TA_CENTER,
            spaceBefore=page.title_pt * 1.1,
            spaceAfter=1,
        )
        self.subtitle = ParagraphStyle(
            "subtitle",
            fontName=SERIF,
            fontSize=b,
            leading=b * 1.35,
            alignment=TA_CENTER,
            spaceAfter=b * 0.8,
        )
        self.body = ParagraphStyle(
            "body",
            fontName=SERIF,
            fontSize=b,
            leading=b * 1.33,
            alignment=TA_LEFT,
            spaceAfter=b * 0.2,
        )
        self.justify = ParagraphStyle("justify", parent=self.body, alignment=TA_JUSTIFY)
        self.item = ParagraphStyle(
            "item",
            parent=self.body,
            leftIndent=b * 2.0,
            bulletIndent=b * 0.6,
            bulletFontName=SERIF,
            bulletFontSize=b,
            spaceAfter=b * 0.1,
        )
        self.quote = ParagraphStyle(
            "quote", parent=self.justify, leftIndent=b * 1.2, fontName=SERIF_BOLD
        )
        self.note = ParagraphStyle(
            "note",
            fontName=SERIF_ITALIC,
            fontSize=page.small_pt,
            leading=page.small_pt * 1.35,
            alignment=TA_JUSTIFY,
        )
        self.sign_title = ParagraphStyle(
            "sign_title", fontName=SERIF_BOLD, fontSize=b, leading=b * 1.3, alignment=TA_CENTER
        )
        self.sign_hint = ParagraphStyle(
            "sign_hint",
            fontName=SERIF_ITALIC,
            fontSize=page.small_pt,
            leading=page.small_pt * 1.3,
            alignment=TA_CENTER,
        )
        self.sign_name = ParagraphStyle("sign_name", parent=self.sign_title)
        self.cell = ParagraphStyle(
            "cell", fontName=SERIF, fontSize=page.small_pt, leading=page.small_pt * 1.25
        )
        self.cell_center = ParagraphStyle("cell_center", parent=self.cell, alignment=TA_CENTER)
        self.cell_head = ParagraphStyle("cell_head", parent=self.cell_center, fontName=SERIF_BOLD)
        self.footer_font = SERIF_ITALIC


def _fit_size(text: str, font: str, width: float, preferred: float) -> float:
    """The largest size up to ``preferred`` at which ``text`` fits on one line."""
    natural = stringWidth(text, font, 1.0)
    return min(preferred, round(width / natural - 0.05, 1)) if natural else preferred


def heading(
    office: Office,
    styles: Styles,
    form_no: str,
    on: date,
    *,
    by_committee: bool = False,
    number: str = "",
) -> list[Flowable]:
    """'Mẫu số 0X', then the two-column heading with the place and date line.

    The issuing body on the left is the commune's centre under its People's Committee
    ("UBND XÃ TẢ VAN / TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"), or, with ``by_committee``,
    the committee itself ("ỦY BAN NHÂN DÂN / XÃ TẢ VAN": forms 04 and 05, which the
    authority that handles the dossier signs). ``number`` adds the "Số: …" line under it.
    """
    page = styles.page
    left_w = page.width * 0.43
    right_w = page.width - left_w
    h = page.heading_pt

    upper, lower = office.authority_lines if by_committee else (office.authority, DESK_TITLE)
    authority_size = _fit_size(upper, SERIF, left_w - 4, h)
    authority = Paragraph(
        fmt.x(upper),
        ParagraphStyle("authority", parent=styles.heading, fontSize=authority_size),
    )
    desk_style = ParagraphStyle("desk", parent=styles.heading, fontName=SERIF_BOLD)
    desk_text = fmt.x(lower)
    if stringWidth(lower, SERIF_BOLD, h) > left_w - 4 and lower == DESK_TITLE:
        desk_text = "TRUNG TÂM PHỤC VỤ<br/>HÀNH CHÍNH CÔNG"
    elif stringWidth(lower, SERIF_BOLD, h) > left_w - 4:
        desk_style.fontSize = _fit_size(lower, SERIF_BOLD, left_w - 4, h)
    left: list[Flowable] = [
        authority,
        Paragraph(f"<b>{desk_text}</b>", desk_style),
        HRFlowable(width="38%", thickness=0.6, color=colors.black, spaceBefore=3, spaceAfter=0),
    ]
    if number:
        left.append(Spacer(1, h * 0.5))
        left.append(Paragraph(fmt.x(f"Số: {number}"), styles.heading))

    national_size = _fit_size(NATIONAL_TITLE, SERIF_BOLD, right_w - 2, h)
    national = ParagraphStyle("national", parent=styles.heading, fontName=SERIF_BOLD)
    right = [
        Paragraph(
            f"<b>{NATIONAL_TITLE}</b>",
            ParagraphStyle("national_fit", parent=national, fontSize=national_size),
        ),
        Paragraph(f"<b><u>{MOTTO}</u></b>", ParagraphStyle("motto", parent=national)),
        Spacer(1, h * 0.7),
        Paragraph(fmt.x(fmt.place_date(office.place_name, on)), styles.date_line),
    ]
    table = make_table(
        [[left, right]],
        [left_w, right_w],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ],
    )
    return [Paragraph(fmt.x(form_no), styles.form_no), Spacer(1, 2), table]


def title(styles: Styles, text: str, subtitle: str | None = None) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(f"<b>{fmt.x(text)}</b>", styles.title)]
    if subtitle:
        out.append(Paragraph(subtitle, styles.subtitle))
    else:
        out.append(Spacer(1, styles.page.body_pt * 0.8))
    return out


def field(styles: Styles, label: str, value: str | None, *, bold: bool = False) -> Paragraph:
    """'Label: value' as running text; empty values become a dotted fill-in."""
    shown = fmt.x(value) if value else "…………………………"
    if bold and value:
        shown = f"<b>{shown}</b>"
    return Paragraph(f"{fmt.x(label)}: {shown}", styles.body)


def numbered(styles: Styles, items: Sequence[str], *, style: str = "{n})") -> list[Paragraph]:
    """A numbered list; ``items`` are already Paragraph markup."""
    return [
        Paragraph(text, styles.item, bulletText=style.format(n=n))
        for n, text in enumerate(items, start=1)
    ]


@dataclass(frozen=True)
class Signer:
    title: str  # "NGƯỜI NỘP HỒ SƠ"; may contain <br/>
    name: str = ""
    hint: str = SIGN_HINT


def signatures(
    styles: Styles, signers: Sequence[Signer | list[Flowable] | None], space: float = 40
) -> Table:
    """Signature blocks side by side; ``None`` keeps a column empty, a list is shown as is."""
    cells: list[list[Flowable] | str] = []
    for signer in signers:
        if signer is None:
            cells.append("")
            continue
        if isinstance(signer, list):
            cells.append(signer)
            continue
        cells.append(
            [
                Paragraph(f"<b>{signer.title}</b>", styles.sign_title),
                Paragraph(fmt.x(signer.hint), styles.sign_hint),
                Spacer(1, space),
                Paragraph(f"<b>{fmt.x(signer.name)}</b>", styles.sign_name),
            ]
        )
    width = styles.page.width / len(signers)
    table = make_table(
        [cells],
        [width] * len(signers),
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ],
    )
    return table


def make_table(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    commands: Sequence[tuple[Any, ...]],
    *,
    repeat_rows: int = 0,
) -> Table:
    """A Table whose own text (plain string cells) is set in DejaVu Serif, not Helvetica."""
    result = Table(rows, colWidths=list(widths), repeatRows=repeat_rows)
    result.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), SERIF), *commands]))
    return result


def qr_image(url: str, size: float) -> Image:
    """A QR code of ``url`` as an embedded PNG image, ``size`` points square."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=0)
    code.add_data(url)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buf)
    buf.seek(0)
    return Image(buf, width=size, height=size)


def keep(*flowables: Flowable) -> KeepTogether:
    return KeepTogether(list(flowables))


def _numbered_canvas(footer: Callable[[int, int], str], font: str, size: float) -> type[Canvas]:
    """A canvas that knows the page count, to print 'Trang 2/3' when there are several."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                text = footer(number, total)
                if text:
                    width, _height = self._pagesize
                    self.setFont(font, size)
                    self.drawCentredString(width / 2, 5 * mm, text)
                super().showPage()
            super().save()

    return NumberedCanvas


def build_pdf(
    page: Page,
    story: list[Flowable],
    *,
    title: str,
    subject: str,
    footer: Callable[[int, int], str] | None = None,
) -> bytes:
    """Lay ``story`` out on ``page`` and return the PDF bytes.

    The output is reproducible (no creation date, no random document id), so the same
    data always gives byte-identical PDFs.
    """
    register_fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=page.size,
        leftMargin=page.left,
        rightMargin=page.right,
        topMargin=page.top,
        bottomMargin=page.bottom,
        title=title,
        subject=subject,
        author="Một Cửa Field",
        creator="Một Cửa Field",
        lang="vi-VN",
        invariant=True,
        # Otherwise reportlab starts every page in Helvetica, which has no Vietnamese.
        initialFontName=SERIF,
        initialFontSize=page.body_pt,
    )

    def default_footer(number: int, total: int) -> str:
        return f"Trang {number}/{total}" if total > 1 else ""

    doc.build(
        story,
        canvasmaker=_numbered_canvas(footer or default_footer, SERIF_ITALIC, page.small_pt),
    )
    return buf.getvalue()
