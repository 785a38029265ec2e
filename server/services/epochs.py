"""The server's epoch: an id that changes when its data goes back in time (a restore).

Pull answers carry it (``e``, sync/PROTOCOL.md §12). A tablet that sees a new epoch
knows the server may have lost writes it had acknowledged: it pulls again from the
start and re-sends its records (the merge by field clocks makes what the server still
has a no-op), so it converges with the restored server.
"""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import ServerMeta

KEY = "epoch"


def _new() -> str:
    return secrets.token_hex(8)


def current(session: Session) -> str:
    """This server's epoch, drawn the first time it is asked for."""
    row = session.get(ServerMeta, KEY)
    if row is not None:
        return row.value
    value = _new()
    try:
        with session.begin_nested():
            session.add(ServerMeta(key=KEY, value=value))
    except IntegrityError:  # another request drew it first
        row = session.get(ServerMeta, KEY)
        assert row is not None
        return row.value
    return value


def renew(session: Session) -> str:
    """Draw a new epoch (after a restore): every tablet re-sends and re-pulls."""
    value = _new()
    row = session.get(ServerMeta, KEY)
    if row is None:
        session.add(ServerMeta(key=KEY, value=value))
    else:
        row.value = value
    return value
