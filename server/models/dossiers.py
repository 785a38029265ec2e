"""Dossiers (hồ sơ thủ tục hành chính), their timeline, apologies and attachments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, case, event, false
from sqlalchemy.engine import Connection
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from server.models.base import SyncRecord, Timestamped, str_enum
from server.models.catalog import Procedure
from server.models.people import Officer
from server.models.units import AdminUnit
from sync.checkcode import new_check_code
from sync.domain import Channel, DossierStatus
from sync.forms import party_names
from sync.text import search_key

#: Longest stored search key; a name, a receipt number and a citizen ID fit easily.
SEARCH_KEY_LENGTH = 300


def dossier_search_key(
    applicant_name: str | None,
    receipt_number: str | None,
    applicant_cccd: str | None,
    parties: Any = None,
) -> str:
    """What the dossier search matches: name, receipt number, citizen ID and every
    party's name (``sync.forms.party_names``), folded.

    Folding (``sync.text.search_key``: no diacritics, i = y, no apostrophes or hyphens,
    spaces optional) lets "nguyen van" find "Nguyễn Văn" and "hmong" find "H'Mông".
    """
    parts = (applicant_cccd, *party_names(parties))
    return search_key(applicant_name, receipt_number, *parts)[:SEARCH_KEY_LENGTH]


class Dossier(SyncRecord):
    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_commune_seq_id", "commune_id", "seq", "id"),
        Index("ix_dossier_commune_status_due", "commune_id", "status", "due_date"),
    )

    # Unique even when issued offline: it embeds the commune code and the device number.
    receipt_number: Mapped[str] = mapped_column(String(40), unique=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    applicant_name: Mapped[str] = mapped_column(String(120))
    applicant_cccd: Mapped[str | None] = mapped_column(String(12), index=True)
    applicant_dob: Mapped[date | None]
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    applicant_address: Mapped[str | None] = mapped_column(String(300))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 20))
    received_at: Mapped[datetime]
    due_date: Mapped[date]  # ngày hẹn trả kết quả
    # "Trường hợp cần xác minh" recorded by the officer (at intake or later), and the
    # longer appointment that then applies (computed at intake, None without extension).
    verification_needed: Mapped[bool] = mapped_column(default=False, server_default=false())
    verification_due_date: Mapped[date | None]
    status: Mapped[DossierStatus] = mapped_column(
        str_enum(DossierStatus, 24), default=DossierStatus.RECEIVED
    )
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    # [{"name_vi": …, "name_en": …, "required": bool, "provided": bool}]
    documents: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    result_returned_at: Mapped[datetime | None]
    # The procedure's form (``sync.forms``): role → field → value, and key → value.
    parties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The citizen agreed at intake to be told of the result, a supplement or a new date
    # (server/notices): by SMS/Zalo to applicant_phone, by e-mail to notify_email.
    # None (not asked, as on older tablets) and False both mean: no notices.
    notify_consent: Mapped[bool | None]
    notify_email: Mapped[str | None] = mapped_column(String(120))
    #: The citizen's check code (sync/checkcode.py): printed on slip 01 and in its QR
    #: link, asked for by the citizens' page. Made on the tablet at intake, or here.
    check_code: Mapped[str] = mapped_column(String(8), default=new_check_code)
    #: The official dossier code ("mã hồ sơ", sync/dossier_code.py) issued by the
    #: province's one-stop system and used in every transaction about the dossier
    #: (Decree 61/2018/NĐ-CP art. 26(1)); recorded once by an officer, never changed.
    #: None until then: the receipt number stands for it (PROTOCOL.md §9).
    official_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    # Kept up to date from the fields above on every insert and update, whoever writes
    # (web, API or sync): see the listeners below and ``dossier_search_key``.
    search_key: Mapped[str] = mapped_column(
        String(SEARCH_KEY_LENGTH),
        default=lambda context: _search_key_default(context),
        server_default="",
    )

    # ``commune_id`` is the RECEIVING commune (the centre where the citizen filed; the
    # record's home scope, its receipt number carries that commune's code). The
    # SETTLING commune processes and decides: the receiving one, or another commune of
    # the province for a procedure receivable anywhere (Decree 118/2025/NĐ-CP), changed
    # by a handover (server/services/handover.py). The result is returned at
    # ``return_commune_id``: the receiving or the settling commune. Both default to the
    # receiving commune (see ``_default_communes``).
    settling_commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    return_commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))

    procedure: Mapped[Procedure] = relationship()
    commune: Mapped[AdminUnit] = relationship(foreign_keys="Dossier.commune_id")
    settling_commune: Mapped[AdminUnit] = relationship(foreign_keys=[settling_commune_id])
    return_commune: Mapped[AdminUnit] = relationship(foreign_keys=[return_commune_id])
    village: Mapped[AdminUnit | None] = relationship(foreign_keys=[village_id])
    handler: Mapped[Officer | None] = relationship()
    events: Mapped[list[DossierEvent]] = relationship(
        back_populates="dossier", order_by="DossierEvent.occurred_at"
    )
    apologies: Mapped[list[DossierApology]] = relationship(
        back_populates="dossier", order_by="DossierApology.issued_at"
    )

    @hybrid_property
    def effective_due_date(self) -> date:
        """The due date that applies: the longer one once verification is recorded.

        A dossier needing verification is never overdue by the shorter limit (Law on
        Civil Status 2014 art. 18(2): marriage, "không quá 05 ngày làm việc").
        """
        if self.verification_needed and self.verification_due_date is not None:
            return self.verification_due_date
        return self.due_date

    @effective_due_date.inplace.expression
    @classmethod
    def _effective_due_date_expression(cls) -> ColumnElement[date]:
        return case(
            (
                cls.verification_needed & cls.verification_due_date.is_not(None),
                cls.verification_due_date,
            ),
            else_=cls.due_date,
        )


class DossierEvent(SyncRecord):
    """One entry of a dossier's append-only timeline (nhật ký xử lý)."""

    __tablename__ = "dossier_event"
    __table_args__ = (Index("ix_dossier_event_commune_seq_id", "commune_id", "seq", "id"),)

    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # received, status_changed, note, …
    occurred_at: Mapped[datetime]
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    dossier: Mapped[Dossier] = relationship(back_populates="events")
    officer: Mapped[Officer | None] = relationship()


class DossierApology(SyncRecord):
    """A written apology for a late result, with the new appointment date (phiếu 04)."""

    __tablename__ = "dossier_apology"
    __table_args__ = (Index("ix_dossier_apology_commune_seq_id", "commune_id", "seq", "id"),)

    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    new_due_date: Mapped[date]
    issued_at: Mapped[datetime]
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))

    dossier: Mapped[Dossier] = relationship(back_populates="apologies")


class Attachment(SyncRecord):
    """Metadata of a photo or scan linked to a record; the bytes live in a ``Blob``."""

    __tablename__ = "attachment"
    __table_args__ = (
        Index("ix_attachment_commune_seq_id", "commune_id", "seq", "id"),
        Index("ix_attachment_owner", "owner_collection", "owner_id"),
    )

    owner_collection: Mapped[str] = mapped_column(String(40))  # "dossier", "feedback"
    owner_id: Mapped[str] = mapped_column(String(36))
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)
    caption: Mapped[str] = mapped_column(String(200), default="")


class Blob(Timestamped):
    """Content-addressed bytes, shared by every attachment with the same SHA-256.

    A row exists once some commune has uploaded the bytes whole and their hash was
    verified. Which communes may use them is :class:`BlobHolder`.
    """

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(80))
    # Bytes received so far; the blob may be linked only once received == size and
    # the hash has been verified.
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    verified: Mapped[bool] = mapped_column(default=False)


def _search_key_default(context: DefaultExecutionContext) -> str:
    """Column default for Core and bulk inserts, which skip the ORM listeners."""
    row: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return dossier_search_key(
        row.get("applicant_name"),
        row.get("receipt_number"),
        row.get("applicant_cccd"),
        row.get("parties"),
    )


@event.listens_for(Dossier, "before_insert")
def _default_communes(_mapper: Mapper[Dossier], _connection: Connection, target: Dossier) -> None:
    """A dossier is settled, and its result returned, where it was received unless told."""
    if target.settling_commune_id is None:
        target.settling_commune_id = target.commune_id
    if target.return_commune_id is None:
        target.return_commune_id = target.commune_id


@event.listens_for(Dossier, "before_insert")
@event.listens_for(Dossier, "before_update")
def _refresh_search_key(_mapper: Mapper[Dossier], _connection: Connection, target: Dossier) -> None:
    target.search_key = dossier_search_key(
        target.applicant_name, target.receipt_number, target.applicant_cccd, target.parties
    )


class BlobHolder(Timestamped):
    """A commune's own upload of a blob: its proof that it has the bytes.

    Uploads are per commune (PROTOCOL.md §8): a commune never learns whether another
    one has a photo, and may attach, probe or read a blob only once it has uploaded
    the bytes itself (``verified``). De-duplication happens within a commune.
    """

    __tablename__ = "blob_holder"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(80))
    # Bytes of this commune's upload received so far (in its own part file).
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    verified: Mapped[bool] = mapped_column(default=False)
