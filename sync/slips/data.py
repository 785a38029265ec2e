"""Plain data printed on the slips: no ORM object, no Flask, only what goes on paper.

The caller (a web view, the CLI, a test) copies what it needs out of its own records
into these dataclasses, so the PDF code can be used and tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sync.workdays import OFFICE_CLOSES, DeadlineRule, TimeUnit


def status_url(public_base_url: str, receipt_number: str, check_code: str = "") -> str:
    """The citizen's status page of a dossier, encoded in the QR code of slip 01.

    With the dossier's check code (``?k=``) the link opens the page at once; without
    it the page asks for the code (sync/checkcode.py).
    """
    url = f"{public_base_url.rstrip('/')}/tra-cuu/{receipt_number}"
    return f"{url}?k={check_code}" if check_code else url


@dataclass(frozen=True)
class Office:
    """The commune's one-stop: its Public Administrative Service Centre.

    Since 1 July 2025 the one-stop of a commune is the commune's "Trung tâm Phục vụ hành
    chính công" (Decree 118/2025/NĐ-CP on the one-stop mechanism, which replaced Decree
    61/2018/NĐ-CP and 107/2021/NĐ-CP), with reception points where the province sets
    them up; the slips it issues are the forms of Annex I of Circular 03/2025/TT-VPCP.
    """

    #: Kind and name of the commune, lower-case kind: "xã Tả Van", "phường Sa Pa".
    commune_kind_name: str
    #: "tỉnh Lào Cai".
    province_name: str
    #: Place written in the date line: "Tả Van" → "Tả Van, ngày 12 tháng 3 năm 2026".
    place_name: str
    #: Telephone of the office, printed where a citizen is told whom to call.
    phone: str = ""

    @property
    def authority(self) -> str:
        """First line of the heading: "UBND XÃ TẢ VAN"."""
        return f"UBND {self.commune_kind_name.upper()}"

    @property
    def authority_lines(self) -> tuple[str, str]:
        """The People's Committee as issuing body: ("ỦY BAN NHÂN DÂN", "XÃ TẢ VAN")."""
        return "ỦY BAN NHÂN DÂN", self.commune_kind_name.upper()

    @property
    def desk(self) -> str:
        """The centre named in running text:
        "Trung tâm Phục vụ hành chính công xã Tả Van"."""
        return f"Trung tâm Phục vụ hành chính công {self.commune_kind_name}"

    @property
    def people_committee(self) -> str:
        """The commune authority named in running text: "Ủy ban nhân dân xã Tả Van"."""
        return f"Ủy ban nhân dân {self.commune_kind_name}"


@dataclass(frozen=True)
class Applicant:
    """The person (or organisation) who filed the dossier."""

    name: str
    cccd: str | None = None  # số định danh cá nhân / căn cước công dân
    dob: date | None = None
    phone: str | None = None
    address: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class DossierSlipData:
    """One dossier as printed on slips 01 to 06."""

    receipt_number: str  # mã hồ sơ / số biên nhận, e.g. "08305-2603-00042"
    procedure_name: str  # tên thủ tục hành chính
    procedure_code: str  # mã TTHC in the national database, e.g. "1.001193"
    applicant: Applicant
    #: Documents of the dossier: (name, provided). Provided ones are listed on slip 01,
    #: missing ones are marked there too.
    documents: Sequence[tuple[str, bool]]
    received_at: datetime  # timezone-aware; printed in office time (UTC+7)
    due_date: date  # ngày hẹn trả kết quả
    officer_name: str  # người tiếp nhận hồ sơ
    channel_label: str  # "Trực tiếp tại Trung tâm Phục vụ hành chính công", "Lưu động tại thôn", …
    fee_vnd: int | None  # phí, lệ phí; 0 = free, None = not applicable / not known
    status_url: str  # see :func:`status_url`
    #: Statutory processing time in working days; None = computed from the dates.
    working_days: int | None = None
    #: Number of sets (bộ) of the dossier.
    copies: int = 1
    #: Where the citizen collects the result; "" = the office's own desk.
    result_place: str = ""
    #: The centre of the commune competent to settle the dossier when it is not the
    #: receiving one (filing anywhere in the province, Decree 118/2025/NĐ-CP): "Trung
    #: tâm Phục vụ hành chính công phường Sa Pa"; "" = the receiving centre settles it.
    settling_centre: str = ""
    #: The official dossier code (mã hồ sơ, Circular 03/2025/TT-VPCP) once the
    #: province's one-stop information system has issued it; "" until then. It cannot
    #: be issued offline (see PROTOCOL.md "Dossier code"), so the receipt number, issued
    #: offline and never changed, is always printed and this one beside it when known.
    official_code: str = ""
    #: The procedure form's parties and facts (``sync.forms.party_rows``):
    #: (label, [(field label, value)]), e.g. ("Bên nữ", [("Họ, chữ đệm và tên", "…")]).
    parties: Sequence[tuple[str, Sequence[tuple[str, str]]]] = ()
    #: The citizen's check code, printed on slip 01 beside the QR ("" = none known).
    check_code: str = ""
    #: Hour of the appointment, for same-day procedures (sync.workdays.Appointment.hour).
    due_hour: time | None = None
    #: "working_days" or "calendar_days" (sync.workdays.TimeUnit).
    time_unit: str = "working_days"
    #: The longer appointment when verification is needed (Law on Civil Status art. 18(2)),
    #: None when the procedure has no extension; ``verification_needed`` once recorded.
    verification_due_date: date | None = None
    verification_needed: bool = False
    extension_days: int = 0

    @property
    def appointment_date(self) -> date:
        """The date that applies: the longer one once verification is recorded."""
        if self.verification_needed and self.verification_due_date is not None:
            return self.verification_due_date
        return self.due_date

    @property
    def appointment_hour(self) -> time | None:
        return None if self.appointment_date != self.due_date else self.due_hour

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None or self.received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware")


@dataclass(frozen=True)
class TimelineRow:
    """One hand-over of the dossier, a row of slip 06 (phiếu kiểm soát)."""

    handed_at: datetime  # timezone-aware
    from_unit: str  # bên giao: "Trung tâm PVHCC xã Tả Van"
    to_unit: str  # bên nhận: "Công chức Tư pháp - Hộ tịch"
    from_person: str = ""
    to_person: str = ""
    #: "Trước hạn", "Đúng hạn", "Quá hạn", or what was decided ("Đã ký kết quả").
    result: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.handed_at.tzinfo is None or self.handed_at.utcoffset() is None:
            raise ValueError("handed_at must be timezone-aware")


@dataclass(frozen=True)
class LogRow:
    """One dossier in the tracking log (slip 07, sổ theo dõi hồ sơ)."""

    receipt_number: str
    procedure_name: str
    applicant_name: str
    received_at: datetime | date  # a datetime is shown in office time
    due_date: date
    copies: int = 1
    address: str = ""
    phone: str = ""
    lead_agency: str = ""  # cơ quan chủ trì giải quyết
    transferred_to: str = ""  # chuyển hồ sơ đến cơ quan giải quyết
    returned_on: date | None = None  # trả kết quả: ngày, tháng, năm
    returned_to: str = ""  # trả kết quả: ký nhận (name of whoever signed for it)
    note: str = ""


def appointment_hour(procedure: Mapping[str, Any] | Any) -> time | None:
    """The hour printed with a same-day appointment (sync.workdays.appointment)."""
    try:
        rule = DeadlineRule.of(procedure)
    except (TypeError, ValueError):
        return None
    if rule.days == 0 and rule.unit is TimeUnit.WORKING_DAYS:
        return OFFICE_CLOSES
    return None
