"""Paper for the citizen: slip previews, the compact thermal receipt, the print-later list.

- ``pdf_page_png``: a page of a PDF slip as a PNG, to show it in the app before printing
  or sharing (pypdfium2 — PDFium, the renderer of Chrome — on a desktop; Android renders
  with its own ``PdfRenderer`` through the platform facade, ``mobile.app.platform``).
- ``thermal_receipt``: the receipt (slip 01's essentials: commune, receipt number,
  procedure, applicant, received, due date, the QR code of the status page) laid out
  as a black-and-white image 384 dots wide (58 mm paper) or 576 (80 mm), in DejaVu
  Sans. Portable ESC/POS printers rarely carry Vietnamese glyphs (their code pages have
  no "ệ", "ữ"…), so the text travels as a **raster image**, not as characters.
- ``escpos_bytes``: that image as an ESC/POS stream (``GS v 0`` raster, then a feed and
  a cut), made with python-escpos's ``Dummy`` printer; the platform facade sends the
  bytes over Bluetooth (RFCOMM) or USB.
- ``PrintLater``: what could not be printed (no printer, paper out, Bluetooth off) is
  kept in ``print-later.json`` in the data folder — the receipt number and the kind of
  paper, nothing personal — until it is printed or dropped.

No Kivy here; PIL, qrcode, escpos and pypdfium2 are imported when used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

    from sync.slips import DossierSlipData, Office

__all__ = [
    "PAPER_DOTS",
    "PaperUnavailable",
    "PrintLater",
    "PrintLaterItem",
    "escpos_bytes",
    "pdf_page_png",
    "thermal_receipt",
]

#: Printable dots across the paper at 203 dpi: 58 mm rolls print 48 mm, 80 mm rolls 72 mm.
PAPER_DOTS = {58: 384, 80: 576}
SANS = "DejaVuSans.ttf"
SANS_BOLD = "DejaVuSans-Bold.ttf"
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/Library/Fonts",
)


class PaperUnavailable(RuntimeError):
    """A part needed for this paper is missing (renderer, fonts); says which."""


def pdf_page_png(pdf: bytes, page: int = 0, width_px: int = 1000) -> bytes:
    """Page ``page`` of ``pdf`` drawn ``width_px`` wide, as PNG bytes."""
    try:
        import pypdfium2 as pdfium
    except ImportError as error:
        raise PaperUnavailable("pypdfium2") from error
    import io

    document = pdfium.PdfDocument(pdf)
    try:
        sheet = document[page]
        scale = width_px / sheet.get_width()
        image = sheet.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        document.close()


def _font(name: str, size: int) -> Any:
    from PIL import ImageFont

    folders = [os.environ.get("MOTCUA_FONT_DIR", ""), *_FONT_DIRS]
    for folder in folders:
        path = Path(folder) / name
        if folder and path.is_file():
            return ImageFont.truetype(str(path), size)
    raise PaperUnavailable(f"font {name}")


def _wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    """``text`` cut into lines no wider than ``width`` pixels, at spaces."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        words: list[str] = []
        for word in paragraph.split():  # a word wider than the paper (a link) is cut
            while draw.textlength(word, font=font) > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and draw.textlength(word[:cut], font=font) > width:
                    cut -= 1
                words.append(word[:cut])
                word = word[cut:]
            words.append(word)
        for word in words:
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=font) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def _qr(text: str) -> Image.Image:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(text)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("1")


def thermal_receipt(office: Office, data: DossierSlipData, paper_mm: int = 58) -> Image.Image:
    """The compact receipt as a 1-bit image as wide as the paper's printable dots."""
    from PIL import Image, ImageDraw

    from sync.slips.fmt import local, short_date

    width = PAPER_DOTS.get(paper_mm)
    if width is None:
        raise ValueError(f"paper {paper_mm} mm: 58 or 80")
    big = 26 if width < 500 else 34
    body = 21 if width < 500 else 27
    fonts = {
        "title": _font(SANS_BOLD, big),
        "bold": _font(SANS_BOLD, body),
        "body": _font(SANS, body),
        "small": _font(SANS, body - 4),
    }
    received = data.received_at
    rows: list[tuple[str, str, bool]] = [  # (font, text, centred)
        ("bold", office.authority, True),
        ("small", "Bộ phận tiếp nhận và trả kết quả", True),
        ("rule", "", False),
        ("title", "GIẤY TIẾP NHẬN HỒ SƠ", True),
        ("bold", "VÀ HẸN TRẢ KẾT QUẢ", True),
        ("title", data.receipt_number, True),
        ("rule", "", False),
        ("small", "Thủ tục:", False),
        ("bold", data.procedure_name, False),
        ("small", "Người nộp:", False),
        ("bold", data.applicant.name, False),
        ("body", f"Nhận lúc: {local(received):%H:%M} {short_date(received)}", False),
        ("title", f"Hẹn trả: {short_date(data.due_date)}", False),
        ("small", data.channel_label, False),
        ("small", f"Người nhận hồ sơ: {data.officer_name or '........................'}", False),
        ("rule", "", False),
        ("small", "Tra cứu tình trạng hồ sơ:", True),
    ]
    margin = 8
    scratch = ImageDraw.Draw(Image.new("1", (width, 10)))
    laid: list[tuple[Any, str, bool]] = []
    height = margin
    for kind, text, centred in rows:
        if kind == "rule":
            laid.append((None, "", False))
            height += 14
            continue
        font = fonts[kind]
        for line in _wrap(scratch, text, font, width - 2 * margin):
            laid.append((font, line, centred))
            height += font.size + 6
    qr = _qr(data.status_url)
    side = min(width - 2 * margin, 260)
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    url_lines = _wrap(scratch, data.status_url, fonts["small"], width - 2 * margin)
    height += side + 8 + len(url_lines) * (fonts["small"].size + 6) + margin
    image = Image.new("1", (width, height), 1)  # white
    draw = ImageDraw.Draw(image)
    y = margin
    for font, line, centred in laid:
        if font is None:
            draw.line((margin, y + 6, width - margin, y + 6), fill=0, width=2)
            y += 14
            continue
        x = (width - draw.textlength(line, font=font)) / 2 if centred else margin
        draw.text((x, y), line, font=font, fill=0)
        y += font.size + 6
    image.paste(qr, ((width - side) // 2, y + 4))
    y += side + 8
    for line in url_lines:
        x = (width - draw.textlength(line, font=fonts["small"])) / 2
        draw.text((x, y), line, font=fonts["small"], fill=0)
        y += fonts["small"].size + 6
    return image


def escpos_bytes(image: Image.Image, *, cut: bool = True) -> bytes:
    """``image`` as an ESC/POS stream: initialise, raster image, feed, cut."""
    try:
        from escpos.printer import Dummy
    except ImportError as error:
        raise PaperUnavailable("python-escpos") from error
    printer = Dummy()
    printer.hw("INIT")
    printer.image(image, impl="bitImageRaster", center=False)
    if cut:
        printer.cut(feed=True)
    else:
        printer.ln(4)
    output: bytes = printer.output
    return output


@dataclass(frozen=True)
class PrintLaterItem:
    dossier_id: str
    receipt_number: str
    #: "slip01" (the A4/A5 slip, print service or CUPS) or "thermal" (the compact receipt).
    paper: str
    #: Why it was not printed, in the officer's words at the time.
    reason: str
    added_at: str


class PrintLater:
    """What could not be printed, kept in a small JSON file until it is."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def items(self) -> list[PrintLaterItem]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        known = set(PrintLaterItem.__dataclass_fields__)
        return [
            PrintLaterItem(**{k: str(v) for k, v in item.items() if k in known})
            for item in raw
            if isinstance(item, dict) and known <= set(item)
        ]

    def _write(self, items: Sequence[PrintLaterItem]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps([asdict(i) for i in items], ensure_ascii=False), encoding="utf-8"
        )
        os.replace(temporary, self.path)

    def add(self, dossier_id: str, receipt_number: str, paper: str, reason: str) -> None:
        """Keep it (once per dossier and paper: the newest reason wins)."""
        items = [i for i in self.items() if (i.dossier_id, i.paper) != (dossier_id, paper)]
        added = datetime.now(UTC).isoformat(timespec="seconds")
        items.append(PrintLaterItem(dossier_id, receipt_number, paper, reason, added))
        self._write(items)

    def done(self, dossier_id: str, paper: str) -> None:
        items = self.items()
        left = [i for i in items if (i.dossier_id, i.paper) != (dossier_id, paper)]
        if len(left) != len(items):
            self._write(left)
