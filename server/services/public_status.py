"""The citizens' page (tra cứu hồ sơ): a dossier's status for whoever holds its slip.

Nobody logs in here, and receipt numbers follow a pattern, so the receipt number alone
opens nothing. A lookup needs a secret the citizen holds as well:

- the **check code** printed on slip 01 and carried in its QR link (sync/checkcode.py),
- or, for a lost slip, the applicant's **birth year and the last four digits** of the
  phone number given at intake (both must be on file and both must match).

A wrong secret and an unknown receipt number give the same answer (:class:`NotFound`
with one message), so the page does not tell whether a number exists. What is shown
is limited to what the slip shows: status, procedure, dates and the applicant's name
masked ("Nguyễn V** A**"). No citizen ID, birth date, phone or address leaves here.

Ratings (one per dossier, changeable) need the check code itself and a returned result;
their comments wait for a leader's approval before the dashboard shows them.
"""

from __future__ import annotations

import enum
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import CommentStatus, Dossier, ServiceRating
from server.scoping import Scope, restrict
from server.services.dossier_admin import expected_date
from server.services.errors import Invalid, NotFound
from server.services.filing_places import centre_name, places
from server.services.reports import local_day
from server.translatable import msg
from sync.checkcode import normalise_check_code
from sync.domain import CLOCK_RUNNING, OPEN_STATUSES, DossierStatus

#: The page is not tied to a commune: the receipt number and its secret open one dossier.
PUBLIC = Scope(None)
MAX_COMMENT_LENGTH = 500
#: The shape of a receipt number (sync/receipts.py): commune, year + device, serial.
_RECEIPT_RE = re.compile(r"[0-9]{3,8}-[0-9]{4,6}-[0-9]{5,7}")
_COMMUNE_DIGITS = range(3, 9)
_MIDDLE_DIGITS = range(4, 7)
_SERIAL_DIGITS = range(5, 8)
NOT_FOUND_MESSAGE = msg("Không tìm thấy hồ sơ khớp với mã hồ sơ và mã kiểm tra đã nhập")


class Proof(enum.StrEnum):
    """How the visitor showed they hold the slip."""

    CHECK_CODE = "code"
    PERSONAL = "personal"  # birth year + last phone digits


def mask_name(name: str) -> str:
    """The first word in full, then the first letter of each other word: "Nguyễn V** A**"."""
    words = name.split()
    if not words:
        return ""
    return " ".join([words[0], *(f"{word[0]}**" for word in words[1:])])


def receipt_candidates(text: str) -> list[str]:
    """The receipt numbers a citizen may have meant by ``text``, in canonical form.

    Fullwidth digits are folded; spaces, dots or dashes separate the parts:
    "02965-2603-00042", "02965 2603 00042" and "02965260300042" mean the same dossier.
    Without separators the cut between the parts is not known, so every cut the
    grammar allows is tried (at most 54).
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    if len(folded) > 40:
        return []
    parts = [part for part in re.split(r"[\s.\-]+", folded) if part]
    if len(parts) == 3:
        dashed = "-".join(parts)
        return [dashed] if _RECEIPT_RE.fullmatch(dashed) and dashed.isascii() else []
    if len(parts) != 1 or not parts[0].isascii() or not parts[0].isdigit():
        return []
    compact = parts[0]
    out = []
    for c in _COMMUNE_DIGITS:
        for m in _MIDDLE_DIGITS:
            serial = len(compact) - c - m
            if serial in _SERIAL_DIGITS:
                out.append(f"{compact[:c]}-{compact[c : c + m]}-{compact[c + m :]}")
    return out


@dataclass(frozen=True)
class Secret:
    """What the visitor typed besides the receipt number (all optional)."""

    check_code: str = ""
    birth_year: str = ""
    phone_last4: str = ""

    @property
    def given(self) -> bool:
        return bool(self.check_code.strip() or (self.birth_year.strip() and self.phone_last4))


def _digits(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKC", text) if ch.isascii() and ch.isdigit()
    )


def _matches(dossier: Dossier, secret: Secret) -> Proof | None:
    code = normalise_check_code(secret.check_code) if secret.check_code.strip() else None
    if code is not None and dossier.check_code:
        if hmac.compare_digest(code.encode(), dossier.check_code.encode()):
            return Proof.CHECK_CODE
        return None
    year, last4 = _digits(secret.birth_year), _digits(secret.phone_last4)
    if len(year) == 4 and len(last4) == 4 and dossier.applicant_dob and dossier.applicant_phone:
        phone = _digits(dossier.applicant_phone)
        same_year = hmac.compare_digest(year.encode(), f"{dossier.applicant_dob.year:04d}".encode())
        same_phone = hmac.compare_digest(last4.encode(), phone[-4:].encode())
        if same_year and same_phone:
            return Proof.PERSONAL
    return None


def open_dossier(session: Session, receipt_text: str, secret: Secret) -> tuple[Dossier, Proof]:
    """The dossier and how it was proven; :class:`NotFound` (one message) otherwise."""
    candidates = receipt_candidates(receipt_text)
    dossier = None
    if candidates:
        dossier = session.scalar(
            restrict(select(Dossier), Dossier.commune_id, PUBLIC)
            .where(Dossier.receipt_number.in_(candidates), Dossier.deleted.is_(False))
            .limit(1)
        )
    proof = _matches(dossier, secret) if dossier is not None else None
    if dossier is None or proof is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    return dossier, proof


def find_opened(session: Session, receipt_number: str) -> Dossier:
    """A dossier the visitor already opened (its receipt number was kept in their session)."""
    dossier = session.scalar(
        restrict(select(Dossier), Dossier.commune_id, PUBLIC).where(
            Dossier.receipt_number == receipt_number, Dossier.deleted.is_(False)
        )
    )
    if dossier is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    return dossier


@dataclass(frozen=True)
class PublicStatus:
    receipt_number: str
    status: DossierStatus
    procedure_vi: str
    procedure_en: str
    commune: str
    masked_name: str
    received_on: date
    expected_date: date
    returned_on: date | None
    apologised: bool
    late: bool  # still open and past the expected date
    rating: ServiceRating | None
    #: Filing anywhere in the province (Decree 118/2025/NĐ-CP): the centre that received
    #: the dossier, the one of the commune that settles it, and where the result is
    #: collected (all three the same for most dossiers).
    receiving_centre: str = ""
    settling_centre: str = ""
    return_centre: str = ""

    @property
    def settled_elsewhere(self) -> bool:
        return self.settling_centre != self.receiving_centre

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def may_rate(self) -> bool:
        return self.status == DossierStatus.RESULT_RETURNED


def status_of(session: Session, dossier: Dossier, *, today: date) -> PublicStatus:
    expected = expected_date(dossier)
    returned = dossier.result_returned_at
    where = places(session, dossier)
    return PublicStatus(
        receipt_number=dossier.receipt_number,
        status=dossier.status,
        procedure_vi=dossier.procedure.name_vi,
        procedure_en=dossier.procedure.name_en,
        commune=dossier.commune.full_name,
        masked_name=mask_name(dossier.applicant_name),
        received_on=local_day(dossier.received_at),
        expected_date=expected,
        returned_on=local_day(returned) if returned is not None else None,
        apologised=any(not a.deleted for a in dossier.apologies),
        late=dossier.status in CLOCK_RUNNING and expected < today,
        rating=session.scalar(select(ServiceRating).where(ServiceRating.dossier_id == dossier.id)),
        receiving_centre=centre_name(where.receiving),
        settling_centre=centre_name(where.settling),
        return_centre=centre_name(where.returning),
    )


class NotYetRatable(Invalid):
    """The result has not been returned yet: there is nothing to rate."""

    http_status = 409
    code = "not_returned"


def rate(
    session: Session, dossier: Dossier, *, stars: int, comment: str, now: datetime
) -> ServiceRating:
    """The dossier's one rating, made or changed (1-5 stars, optional comment).

    Only once the result was returned. A new or changed comment waits for a leader's
    approval again; the stars count at once.
    """
    if dossier.status != DossierStatus.RESULT_RETURNED:
        raise NotYetRatable(msg("Chỉ đánh giá được sau khi đã nhận kết quả"))
    problems = {}
    if not 1 <= stars <= 5:
        problems["stars"] = msg("Chọn từ 1 đến 5 sao")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        problems["comment"] = msg(
            "Góp ý tối đa %(MAX_COMMENT_LENGTH)s ký tự", MAX_COMMENT_LENGTH=MAX_COMMENT_LENGTH
        )
    if problems:
        raise Invalid(msg("Đánh giá chưa hợp lệ"), errors=problems)
    rating = session.scalar(select(ServiceRating).where(ServiceRating.dossier_id == dossier.id))
    if rating is None:
        rating = ServiceRating(
            commune_id=dossier.commune_id, dossier_id=dossier.id, created_at=now, comment=""
        )
        session.add(rating)
    if comment != (rating.comment or ""):
        rating.comment_status = CommentStatus.PENDING
        rating.moderated_by_id = None
        rating.moderated_at = None
    rating.stars = stars
    rating.comment = comment
    rating.updated_at = now
    session.flush()
    return rating
