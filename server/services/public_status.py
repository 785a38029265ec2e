"""The citizens' page (tra cứu hồ sơ): a dossier's status from its receipt number, ratings.

Nobody logs in here. The receipt number printed on slip 01 (and in its QR code) is what
opens a dossier, so what is returned is limited to what the receipt itself shows: the
status, the procedure, the dates and the applicant's name masked ("Nguyễn V** A**").
No citizen ID, birth date, phone or address ever leaves this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Dossier, ServiceRating
from server.scoping import Scope, restrict
from server.services.dossier_admin import expected_date
from server.services.errors import Invalid, NotFound
from server.services.reports import local_day
from sync.domain import CLOCK_RUNNING, OPEN_STATUSES, DossierStatus

#: The page is not tied to a commune: the receipt number is the key to one dossier.
PUBLIC = Scope(None)
RECEIPT_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,39}")
MAX_COMMENT_LENGTH = 500


def mask_name(name: str) -> str:
    """The first word in full, then the first letter of each other word: "Nguyễn V** A**"."""
    words = name.split()
    if not words:
        return ""
    return " ".join([words[0], *(f"{word[0]}**" for word in words[1:])])


def normalise_receipt(value: str) -> str | None:
    value = value.strip().upper()
    return value if RECEIPT_RE.fullmatch(value) else None


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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _find(session: Session, receipt_number: str) -> Dossier:
    number = normalise_receipt(receipt_number)
    dossier = None
    if number is not None:
        dossier = session.scalar(
            restrict(select(Dossier), Dossier.commune_id, PUBLIC).where(
                Dossier.receipt_number == number, Dossier.deleted.is_(False)
            )
        )
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ với mã này (no dossier has this receipt number)")
    return dossier


def lookup(session: Session, receipt_number: str, *, today: date) -> PublicStatus:
    dossier = _find(session, receipt_number)
    expected = expected_date(dossier)
    returned = dossier.result_returned_at
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
    )


def add_rating(
    session: Session, receipt_number: str, *, stars: int, comment: str, now: datetime
) -> ServiceRating:
    """Store one citizen's rating (1-5 stars, optional comment) of a dossier's service."""
    dossier = _find(session, receipt_number)
    problems = {}
    if not 1 <= stars <= 5:
        problems["stars"] = "Chọn từ 1 đến 5 sao (choose 1 to 5 stars)"
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        problems["comment"] = (
            f"Góp ý tối đa {MAX_COMMENT_LENGTH} ký tự "
            f"(a comment may have at most {MAX_COMMENT_LENGTH} characters)"
        )
    if problems:
        raise Invalid("Đánh giá chưa hợp lệ (the rating is not valid)", errors=problems)
    rating = ServiceRating(
        commune_id=dossier.commune_id,
        dossier_id=dossier.id,
        stars=stars,
        comment=comment,
        created_at=now,
        updated_at=now,
    )
    session.add(rating)
    session.flush()
    return rating
