"""Paper for the citizen from the receipt and dossier screens: preview, share, print,
the compact receipt on a thermal printer, and the "print later" list.

The data is read from the store on the UI thread (``open_paper``); everything else —
drawing the PDF, rendering its preview, laying out the thermal receipt, talking to a
printer — runs off it (the screen calls these methods in a background thread). What
could not be printed goes to ``PrintLater`` (``print-later.json`` in the data folder)
with the reason, and leaves it once printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mobile.app.context import AppContext
from mobile.app.platform import PrintFailed
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.slips import ReceiptExport, prepare_receipt_export
from mobile.paper import PaperUnavailable, PrintLater, escpos_bytes, thermal_receipt

__all__ = ["PRINT_LATER", "PaperJob", "open_paper", "print_later"]

PRINT_LATER = "print-later.json"


def print_later(ctx: AppContext) -> PrintLater:
    return PrintLater(ctx.data_dir / PRINT_LATER)


@dataclass
class PaperJob:
    ctx: AppContext
    dossier_id: str
    export: ReceiptExport
    pdf_path: Path | None = None

    @property
    def receipt_number(self) -> str:
        return self.export.data.receipt_number

    def _pdf(self) -> Path:
        if self.pdf_path is None:
            self.pdf_path = self.export.write()
        return self.pdf_path

    def preview_png(self, width_px: int = 900) -> bytes:
        """Slip 01's page as an image, to look at before printing."""
        try:
            return self.ctx.platform.paper.preview_png(self.export.pdf(), width_px)
        except PaperUnavailable as error:
            raise UserError(self.ctx.tr("paper.no_preview", what=error)) from error

    def share(self) -> str:
        path = self._pdf()
        where = self.ctx.platform.paper.share(path, "application/pdf")
        return self.ctx.tr("paper.shared", where=where)

    def print_slip(self) -> str:
        return self._print("slip01", lambda: self.ctx.platform.paper.print_pdf(self._pdf()))

    def thermal_stream(self, paper_mm: int = 58) -> bytes:
        try:
            image = thermal_receipt(self.export.office, self.export.data, paper_mm)
            return escpos_bytes(image)
        except PaperUnavailable as error:
            raise UserError(self.ctx.tr("paper.no_thermal", what=error)) from error

    def print_thermal(self, paper_mm: int = 58) -> str:
        stream = self.thermal_stream(paper_mm)
        return self._print("thermal", lambda: self.ctx.platform.paper.print_thermal(stream))

    def _print(self, paper: str, send: Callable[[], str]) -> str:
        later = print_later(self.ctx)
        try:
            printer = send()
        except PrintFailed as error:
            later.add(self.dossier_id, self.receipt_number, paper, str(error))
            reason = self.ctx.tr.message(str(error))  # "vi (en)" → the officer's language
            raise UserError(self.ctx.tr("paper.kept_for_later", reason=reason)) from error
        later.done(self.dossier_id, paper)
        return self.ctx.tr("paper.printed", printer=printer)


def open_paper(ctx: AppContext, dossier_id: str) -> PaperJob:
    """Read what the slips need (UI thread); ``UserError`` when the tablet lacks it."""
    return PaperJob(ctx, dossier_id, prepare_receipt_export(ctx, dossier_id))
