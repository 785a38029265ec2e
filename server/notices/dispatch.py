"""Send the notices that are due, with retries, and keep their delivery state.

A notice is ``queued`` until a provider accepts it (``sent``, with the provider's
message id) or it fails for good (``failed``: a permanent refusal, or ``MAX_ATTEMPTS``
temporary ones, retried after 1, 2, 4, 8 … minutes). Run by the ``send_notices`` job
every few minutes; each notice is committed as soon as its attempt ends.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import metrics
from server.models import Dossier, Notice, utcnow
from server.notices import events
from server.notices.providers import DeliveryError, Message, Provider, configured

log = logging.getLogger("motcua.notices")

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)


def send_due(
    session: Session,
    config: Any,
    now: datetime | None = None,
    providers: dict[str, Provider] | None = None,
) -> dict[str, Any]:
    providers = configured(config) if providers is None else providers
    added = events.collect(session, set(providers), now)
    session.commit()
    tally = {"added": added, "sent": 0, "retry": 0, "failed": 0}
    due = list(
        session.scalars(
            select(Notice)
            .where(Notice.state == "queued", Notice.next_attempt_at <= (now or utcnow()))
            .order_by(Notice.next_attempt_at, Notice.id)
            .limit(500)
        )
    )
    for notice in due:
        provider = providers.get(notice.channel)
        if provider is None:  # the channel was turned off since
            continue
        receipt = session.scalar(
            select(Dossier.receipt_number).where(Dossier.id == notice.dossier_id)
        )
        message = Message(
            notice.recipient,
            notice.subject,
            notice.body,
            notice.kind,
            receipt or "",
            f"motcua-{notice.id}",
        )
        notice.attempts += 1
        try:
            notice.provider_message_id = provider.send(message)[:120]
        except DeliveryError as error:
            notice.last_error = str(error)[:2000]
            if error.permanent or notice.attempts >= MAX_ATTEMPTS:
                notice.state = "failed"
                tally["failed"] += 1
                metrics.NOTICES.labels(notice.channel, "failed").inc()
            else:
                notice.next_attempt_at = utcnow() + FIRST_RETRY * 2 ** (notice.attempts - 1)
                tally["retry"] += 1
                metrics.NOTICES.labels(notice.channel, "retry").inc()
            log.warning("notice not delivered", extra={"notice": notice.id, "error": str(error)})
        else:
            notice.state = "sent"
            notice.sent_at = utcnow()
            notice.last_error = ""
            tally["sent"] += 1
            metrics.NOTICES.labels(notice.channel, "sent").inc()
        session.commit()
    return tally
