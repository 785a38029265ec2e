"""Slip 01, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", as a PDF made on the tablet.

The same PDF as the admin web's: the shared ``sync.slips.receipt_slip`` fed with the
same data the server copies out of its database (``server.services.dossier_admin``
``office_for`` and ``slip_data``), here copied out of the tablet's store instead:

- the dossier (``Tablet.dossier``): receipt number, applicant, papers, received at, due date;
- the pulled procedure: name, code, statutory time, fee;
- the registration: the commune; the province is the commune's parent among the pulled
  administrative units;
- the officer who received it: the "received" event's officer (else the handler); only
  this tablet's officer has a name here, a colleague's is left blank to sign by hand;
- the device's server address for the status link of the QR code.

Plain Python, no Kivy: the intake's receipt and the dossier screen both use it.
``sync.slips`` (reportlab) is imported only when a slip is made, not at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mobile.app.context import AppContext
from mobile.app.fmt import parse_iso_date, parse_iso_datetime
from mobile.app.platform import use_bundled_fonts
from mobile.app.viewmodels.base import UserError
from mobile.tablet import Tablet
from sync.domain import Channel
from sync.forms import party_rows

if TYPE_CHECKING:
    from sync.slips import DossierSlipData, Office

__all__ = [
    "CHANNEL_LABELS",
    "ReceiptExport",
    "SlipUnavailable",
    "StopNoticeExport",
    "export_receipt",
    "office_of",
    "prepare_receipt_export",
    "prepare_stop_notice_export",
    "receipt_filename",
    "receipt_slip_data",
    "stop_notice_filename",
    "stop_reason",
]

#: How a dossier came in, as printed on the slips (the server's wording, word for word).
CHANNEL_LABELS = {
    Channel.COUNTER.value: "Trực tiếp tại Trung tâm Phục vụ hành chính công",
    Channel.VILLAGE_VISIT.value: "Tiếp nhận lưu động tại thôn, bản",
    Channel.ONLINE.value: "Trực tuyến",
    Channel.POST.value: "Qua dịch vụ bưu chính công ích",
}

_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


class SlipUnavailable(LookupError):
    """The tablet lacks something the slip needs; ``key`` names the text that says what."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def receipt_filename(receipt_number: str) -> str:
    """``receipt-02965-2603-00042.pdf`` (anything odd in the number becomes "_")."""
    return f"receipt-{_UNSAFE.sub('_', receipt_number).strip('._') or 'x'}.pdf"


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def office_of(tablet: Tablet, commune_id: int | None = None) -> Office:
    """The commune's Public Administrative Service Centre, as ``office_for`` on the server.

    ``commune_id``: the centre that received the dossier, when it is not this tablet's
    (a dossier filed elsewhere in the province and settled here: its slip 01 is the
    receiving centre's).
    """
    from sync.slips import Office

    registration = tablet.registration
    own = commune_id is None or commune_id == registration.commune_id
    commune = tablet.store.get("admin_unit", str(registration.commune_id if own else commune_id))
    commune = commune or {}
    parent_id = commune.get("parent_id")
    parent = tablet.store.get("admin_unit", str(parent_id)) if parent_id else None
    province = ""
    if parent:
        province = f"{str(parent.get('kind') or '').lower()} {parent.get('name', '')}".strip()
    kind = registration.commune_kind if own else str(commune.get("kind") or "")
    name = registration.commune_name if own else str(commune.get("name") or "")
    return Office(
        commune_kind_name=f"{kind.lower()} {name}".strip(),
        province_name=province,
        place_name=name,
    )


def _receiver_name(tablet: Tablet, dossier: dict[str, Any]) -> str:
    received = next(
        (e for e in tablet.timeline(str(dossier["id"])) if e.get("kind") == "received"), None
    )
    officer_id = received.get("officer_id") if received else None
    if officer_id is None:
        officer_id = dossier.get("handler_id")
    registration = tablet.registration
    if officer_id is not None and str(officer_id) == str(registration.officer_id):
        return registration.officer_name
    return ""


def _centre(tablet: Tablet, commune_id: Any) -> str:
    """ "Trung tâm Phục vụ hành chính công phường Sa Pa", from the pulled admin units."""
    unit = tablet.store.get("admin_unit", str(commune_id)) or {}
    name = f"{str(unit.get('kind') or '').lower()} {unit.get('name', '')}".strip()
    return f"Trung tâm Phục vụ hành chính công {name}" if name else ""


def _places(tablet: Tablet, dossier: dict[str, Any]) -> tuple[str, str]:
    """Slip 01's settling centre and place of return for a dossier settled, or returned,
    at another commune (Decree 118/2025/NĐ-CP); "" where it is the receiving one."""
    receiving = tablet.receiving_commune_id(dossier) or tablet.registration.commune_id
    settling = dossier.get("settling_commune_id") or receiving
    returning = dossier.get("return_commune_id") or receiving
    return (
        _centre(tablet, settling) if settling != receiving else "",
        _centre(tablet, returning) if returning != receiving else "",
    )


def receipt_slip_data(tablet: Tablet, dossier_id: str, public_base_url: str) -> DossierSlipData:
    """What slip 01 prints for this dossier, from the tablet's own records.

    ``SlipUnavailable`` when the dossier, its procedure or its due date is not on the
    tablet.
    """
    from sync.slips import Applicant, DossierSlipData, appointment_hour, status_url

    dossier = tablet.dossier(dossier_id)
    if dossier is None:
        raise SlipUnavailable("dossier.not_found")
    number = str(dossier.get("receipt_number") or "")
    procedure_id = dossier.get("procedure_id")
    procedure = tablet.procedure(int(procedure_id)) if procedure_id else None
    if procedure is None:
        raise SlipUnavailable("slip.no_procedure")
    received_at = parse_iso_datetime(dossier.get("received_at"))
    due = parse_iso_date(dossier.get("due_date"))
    if received_at is None or received_at.tzinfo is None or due is None:
        raise SlipUnavailable("slip.no_due_date")
    days = procedure.get("processing_days")
    fee = procedure.get("fee_vnd")
    channel = str(dossier.get("channel") or "")
    settling_centre, result_place = _places(tablet, dossier)
    return DossierSlipData(
        receipt_number=number,
        procedure_name=str(procedure.get("name_vi") or ""),
        procedure_code=str(procedure.get("code") or ""),
        applicant=Applicant(
            name=str(dossier.get("applicant_name") or ""),
            cccd=_text(dossier.get("applicant_cccd")),
            dob=parse_iso_date(dossier.get("applicant_dob")),
            phone=_text(dossier.get("applicant_phone")),
            address=_text(dossier.get("applicant_address")),
        ),
        documents=[
            (str(doc.get("name_vi", "")), bool(doc.get("provided")))
            for doc in dossier.get("documents") or []
            if isinstance(doc, dict)
        ],
        received_at=received_at,
        due_date=due,
        officer_name=_receiver_name(tablet, dossier),
        channel_label=CHANNEL_LABELS.get(channel, channel),
        fee_vnd=fee if isinstance(fee, int) and not isinstance(fee, bool) else None,
        status_url=status_url(public_base_url, number, str(dossier.get("check_code") or "")),
        check_code=str(dossier.get("check_code") or ""),
        official_code=str(dossier.get("official_code") or ""),
        working_days=days if isinstance(days, int) and not isinstance(days, bool) else None,
        parties=party_rows(procedure.get("form"), dossier.get("parties"), dossier.get("facts")),
        due_hour=appointment_hour(procedure),
        time_unit=str(procedure.get("time_unit") or "working_days"),
        verification_due_date=parse_iso_date(dossier.get("verification_due_date")),
        verification_needed=bool(dossier.get("verification_needed")),
        extension_days=_whole(procedure.get("extension_days")),
        settling_centre=settling_centre,
        result_place=result_place,
    )


def _whole(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class ReceiptExport:
    """Slip 01 of one dossier, ready to be drawn and written (no store access left).

    ``write`` may run off the UI thread: it only draws the PDF and saves the file.
    """

    ctx: AppContext
    office: Office
    data: DossierSlipData

    @property
    def filename(self) -> str:
        return receipt_filename(self.data.receipt_number)

    def pdf(self) -> bytes:
        tr = self.ctx.tr
        use_bundled_fonts()
        try:
            from sync.slips import FontNotFoundError, receipt_slip
        except ImportError as error:  # an install without the "mobile" extra's reportlab
            raise UserError(tr("slip.no_reportlab")) from error
        try:
            return receipt_slip(self.office, self.data)
        except FontNotFoundError as error:
            raise UserError(tr("slip.no_fonts")) from error

    def write(self) -> Path:
        """Draw the PDF and save it through the platform facade; the file's path."""
        content = self.pdf()
        try:
            return self.ctx.platform.exports.save(self.ctx.data_dir, self.filename, content)
        except OSError as error:
            raise UserError(self.ctx.tr("slip.write_failed", error=error)) from error


def prepare_receipt_export(ctx: AppContext, dossier_id: str) -> ReceiptExport:
    """Read what slip 01 needs from the store (on the UI thread)."""
    try:
        data = receipt_slip_data(ctx.tablet, dossier_id, ctx.server_url())
        dossier = ctx.tablet.dossier(dossier_id) or {}
        office = office_of(ctx.tablet, ctx.tablet.receiving_commune_id(dossier))
    except ImportError as error:
        raise UserError(ctx.tr("slip.no_reportlab")) from error
    except SlipUnavailable as error:
        raise UserError(ctx.tr(error.key)) from error
    return ReceiptExport(ctx, office, data)


def export_receipt(ctx: AppContext, dossier_id: str) -> Path:
    """Slip 01 of the dossier as ``exports/receipt-<receipt number>.pdf``; its path."""
    return prepare_receipt_export(ctx, dossier_id).write()


# -- slip 05, Thông báo dừng giải quyết hồ sơ ---------------------------------------------------


def stop_notice_filename(receipt_number: str) -> str:
    """``stop-02965-2603-00042.pdf``."""
    return "stop-" + receipt_filename(receipt_number).removeprefix("receipt-")


def stop_reason(tablet: Tablet, dossier_id: str) -> tuple[str, str | None]:
    """(reason, ISO time) of the last move to ``stopped`` on the dossier's timeline."""
    stops = [
        e
        for e in tablet.timeline(dossier_id)
        if e.get("kind") == "status_changed" and e.get("to_status") == "stopped"
    ]
    if not stops:
        raise SlipUnavailable("slip.not_stopped")
    last = stops[-1]
    return str(last.get("note") or ""), _text(last.get("occurred_at"))


@dataclass(frozen=True)
class StopNoticeExport(ReceiptExport):
    """Slip 05 of a stopped dossier, ready to be drawn and written off the UI thread.

    The tablet prints it unsigned: the committee's leader signs the paper (the server's
    copy names the leader, who is not among the tablet's pulled records).
    """

    reason: str = ""
    stopped_at: str | None = None

    @property
    def filename(self) -> str:
        return stop_notice_filename(self.data.receipt_number)

    def pdf(self) -> bytes:
        tr = self.ctx.tr
        use_bundled_fonts()
        try:
            from sync.slips import FontNotFoundError, stop_notice
            from sync.slips.fmt import local
        except ImportError as error:
            raise UserError(tr("slip.no_reportlab")) from error
        moment = parse_iso_datetime(self.stopped_at)
        issued_on = local(moment).date() if moment is not None and moment.tzinfo else None
        try:
            return stop_notice(
                self.office, self.data, self.reason, "", "CHỦ TỊCH", issued_on=issued_on
            )
        except FontNotFoundError as error:
            raise UserError(tr("slip.no_fonts")) from error


def prepare_stop_notice_export(ctx: AppContext, dossier_id: str) -> StopNoticeExport:
    """Read what slip 05 needs from the store (on the UI thread)."""
    try:
        reason, stopped_at = stop_reason(ctx.tablet, dossier_id)
    except SlipUnavailable as error:
        raise UserError(ctx.tr(error.key)) from error
    receipt = prepare_receipt_export(ctx, dossier_id)
    return StopNoticeExport(ctx, receipt.office, receipt.data, reason, stopped_at)
