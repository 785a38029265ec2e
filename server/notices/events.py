"""What to tell citizens: one notice per (dossier, event, channel), made idempotently.

- ``result_ready``: the dossier was decided (approved or rejected: the result waits
  at the office), once per dossier;
- ``supplement_needed``: the office asks for more papers (form 02), once per request
  (the key is the timeline event that set the status);
- ``new_due_date``: an apology letter set a new date (form 05, Decree 118/2025/NĐ-CP
  art. 19), once per apology.

Only dossiers whose citizen agreed at intake (``notify_consent``) and that changed in
the last ``RECENT`` days: turning notices on does not message last year's citizens.

A dossier filed in one commune and settled by another (Decree 118/2025/NĐ-CP) names
the commune where the result is returned in ``result_ready`` and the settling commune,
which apologised, in ``new_due_date`` (docs/ANYWHERE.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Dossier, DossierApology, DossierEvent, Notice, utcnow
from server.notices.text import compose
from sync.domain import DossierStatus

RECENT = timedelta(days=7)
RESULT_READY = (DossierStatus.APPROVED, DossierStatus.REJECTED)


def _channels(dossier: Dossier, available: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if dossier.applicant_phone:
        out += [(c, dossier.applicant_phone) for c in ("sms", "zalo") if c in available]
    if dossier.notify_email and "email" in available:
        out.append(("email", dossier.notify_email))
    return out


def _add(
    session: Session,
    dossier: Dossier,
    kind: str,
    event_key: str,
    channels: list[tuple[str, str]],
    commune: str,
    due: object = None,
) -> int:
    subject, body = compose(kind, dossier.receipt_number, commune, due=due)  # type: ignore[arg-type]
    made = 0
    for channel, recipient in channels:
        exists = session.scalar(
            select(Notice.id).where(
                Notice.dossier_id == dossier.id,
                Notice.event_key == event_key,
                Notice.channel == channel,
            )
        )
        if exists is not None:
            continue
        session.add(
            Notice(
                dossier_id=dossier.id,
                commune_id=dossier.commune_id,
                kind=kind,
                event_key=event_key,
                channel=channel,
                recipient=recipient,
                subject=subject,
                body=body,
                state="queued",
                attempts=0,
                next_attempt_at=utcnow(),
                last_error="",
            )
        )
        made += 1
    return made


def collect(session: Session, available: set[str], now: datetime | None = None) -> int:
    """Queue the notices due for recent events; how many were added."""
    if not available:
        return 0
    since = (now or utcnow()) - RECENT
    names = {row[0]: row[1] for row in session.execute(select(AdminUnit.id, AdminUnit.name))}
    made = 0
    dossiers = session.scalars(
        select(Dossier).where(
            Dossier.notify_consent.is_(True),
            Dossier.updated_at >= since,
            Dossier.status.in_([*RESULT_READY, DossierStatus.NEEDS_SUPPLEMENT]),
        )
    )
    for dossier in dossiers:
        channels = _channels(dossier, available)
        commune = names.get(dossier.commune_id, "")
        if dossier.status in RESULT_READY:
            returning = names.get(dossier.return_commune_id or dossier.commune_id, "")
            made += _add(session, dossier, "result_ready", "result_ready", channels, returning)
        else:
            # One notice per request for papers: the timeline event that set the status
            # (a later edit of the dossier does not notify again).
            event = session.scalar(
                select(DossierEvent.id)
                .where(
                    DossierEvent.dossier_id == dossier.id,
                    DossierEvent.to_status == DossierStatus.NEEDS_SUPPLEMENT.value,
                )
                .order_by(DossierEvent.occurred_at.desc(), DossierEvent.id.desc())
                .limit(1)
            )
            key = f"supplement:{event}" if event else "supplement"
            made += _add(session, dossier, "supplement_needed", key, channels, commune)
    apologies = session.execute(
        select(DossierApology, Dossier)
        .join(Dossier, Dossier.id == DossierApology.dossier_id)
        .where(Dossier.notify_consent.is_(True), DossierApology.created_at >= since)
    ).all()
    for apology, dossier in apologies:
        made += _add(
            session,
            dossier,
            "new_due_date",
            f"apology:{apology.id}",
            _channels(dossier, available),
            names.get(dossier.settling_commune_id or dossier.commune_id, ""),
            apology.new_due_date,
        )
    return made
