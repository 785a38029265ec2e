"""Domain vocabulary and rules that the server and the tablet must apply identically.

Kept here, in the shared library, so that a dossier validated offline on a tablet is
validated by exactly the same code on the server.
"""

from __future__ import annotations

import enum
import re
from datetime import date


class DossierStatus(enum.StrEnum):
    RECEIVED = "received"  # đã tiếp nhận
    NEEDS_SUPPLEMENT = "needs_supplement"  # yêu cầu bổ sung (phiếu 02)
    REFUSED = "refused"  # từ chối tiếp nhận (phiếu 03)
    IN_PROGRESS = "in_progress"  # đang giải quyết
    APPROVED = "approved"  # đã giải quyết - đồng ý
    REJECTED = "rejected"  # đã giải quyết - không đồng ý
    RESULT_RETURNED = "result_returned"  # đã trả kết quả
    WITHDRAWN = "withdrawn"  # công dân rút hồ sơ
    #: dừng giải quyết hồ sơ (mẫu số 05, Phụ lục I Thông tư 03/2025/TT-VPCP): the
    #: competent authority stops processing and tells the citizen why, in writing.
    STOPPED = "stopped"


S = DossierStatus

#: Kind of the timeline event of a handover to another commune for settling (Decree
#: 118/2025/NĐ-CP); data ``{"from_commune_id", "to_commune_id", "reason"}``.
HANDED_OVER = "handed_over"

#: Which status may follow which. A status not listed as a key is terminal.
DOSSIER_TRANSITIONS: dict[DossierStatus, frozenset[DossierStatus]] = {
    S.RECEIVED: frozenset(
        {
            S.NEEDS_SUPPLEMENT,
            S.REFUSED,
            S.IN_PROGRESS,
            S.APPROVED,
            S.REJECTED,
            S.WITHDRAWN,
            S.STOPPED,
        }
    ),
    # Processing can be stopped (form 05) while the dossier is being handled; once it is
    # decided, the result is returned instead.
    S.NEEDS_SUPPLEMENT: frozenset({S.IN_PROGRESS, S.REFUSED, S.WITHDRAWN, S.STOPPED}),
    S.IN_PROGRESS: frozenset({S.NEEDS_SUPPLEMENT, S.APPROVED, S.REJECTED, S.WITHDRAWN, S.STOPPED}),
    S.APPROVED: frozenset({S.RESULT_RETURNED}),
    S.REJECTED: frozenset({S.RESULT_RETURNED}),
}

TERMINAL_STATUSES = frozenset(s for s in DossierStatus if s not in DOSSIER_TRANSITIONS)
#: Statuses of a dossier still being handled.
OPEN_STATUSES = frozenset({S.RECEIVED, S.NEEDS_SUPPLEMENT, S.IN_PROGRESS})
#: Open statuses in which the statutory clock runs: waiting for the citizen's supplement
#: (form 02) stops it, so such a dossier is never overdue (sync.workdays.resume_due_date).
CLOCK_RUNNING = frozenset({S.RECEIVED, S.IN_PROGRESS})


def can_transition(current: DossierStatus, new: DossierStatus) -> bool:
    return new in DOSSIER_TRANSITIONS.get(current, frozenset())


class Channel(enum.StrEnum):
    COUNTER = "counter"  # tại Trung tâm Phục vụ hành chính công xã (Nghị định 118/2025/NĐ-CP)
    VILLAGE_VISIT = "village_visit"  # lưu động tại thôn, bản
    ONLINE = "online"  # trực tuyến
    POST = "post"  # bưu chính công ích


class FeedbackKind(enum.StrEnum):
    REPORT = "report"  # phản ánh
    RECOMMENDATION = "recommendation"  # kiến nghị
    COMPLAINT = "complaint"  # khiếu nại
    PRAISE = "praise"  # khen ngợi


class FeedbackStatus(enum.StrEnum):
    NEW = "new"  # mới tiếp nhận
    IN_HANDLING = "in_handling"  # đang xử lý
    FORWARDED = "forwarded"  # đã chuyển cơ quan có thẩm quyền
    ANSWERED = "answered"  # đã trả lời
    CLOSED = "closed"  # đã kết thúc


class FeedbackSubject(enum.StrEnum):
    DOSSIER = "dossier"
    OFFICER = "officer"
    SERVICE = "service"


class ConflictStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ConflictResolution(enum.StrEnum):
    KEPT = "kept"  # the merge's choice stands
    OVERTURNED = "overturned"  # the value that lost was put back
    EDITED = "edited"  # a person wrote a third value


class AttachmentOwner(enum.StrEnum):
    DOSSIER = "dossier"
    FEEDBACK = "feedback"


#: Working days within which feedback must be answered, by kind; None = no answer due.
FEEDBACK_RESPONSE_DAYS: dict[FeedbackKind, int | None] = {
    FeedbackKind.REPORT: 10,
    FeedbackKind.RECOMMENDATION: 10,
    FeedbackKind.COMPLAINT: 30,
    FeedbackKind.PRAISE: None,
}

_CCCD_RE = re.compile(r"\d{12}")
_PHONE_RE = re.compile(r"(?:\+84|0)\d{9}")


def cccd_problem(value: str) -> str | None:
    """Why ``value`` is not a valid citizen ID (căn cước công dân), or None if it is.

    A CCCD has 12 digits: a 3-digit province-of-birth code (001–096), a digit for
    century and sex, two digits for the year of birth, and six random digits.
    """
    if not _CCCD_RE.fullmatch(value):
        return "Số CCCD phải gồm đúng 12 chữ số (citizen ID must be exactly 12 digits)"
    province = int(value[:3])
    if not 1 <= province <= 96:
        return (
            f"Mã tỉnh {value[:3]} trong số CCCD không tồn tại "
            f"(province code {value[:3]} does not exist)"
        )
    return None


def cccd_matches_birth(value: str, born: date) -> bool:
    """Whether the century/sex digit and year digits of a CCCD agree with a birth date."""
    century_digit = int(value[3])
    century = 1900 + 100 * (century_digit // 2)
    return century + int(value[4:6]) == born.year


def phone_problem(value: str) -> str | None:
    compact = value.replace(" ", "").replace(".", "")
    if not _PHONE_RE.fullmatch(compact):
        return (
            "Số điện thoại phải có 10 chữ số, bắt đầu bằng 0 hoặc +84 "
            "(phone must be 10 digits starting with 0 or +84)"
        )
    return None
