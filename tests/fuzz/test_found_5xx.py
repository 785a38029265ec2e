"""Requests the fuzzer (``test_schemathesis.py``) found answered with a 5xx, kept exactly.

Each entry is the smallest form of a failing request found by schemathesis 4 with
``MOTCUA_FUZZ_EXAMPLES=100`` (or a sibling of it on another text or integer field), with
the exception the server raised. They are asserted explicitly, on both databases, so
the lead sees each one by name until the server answers a clear 4xx; none is marked
xfail or skipped on purpose. Bad input must get a 4xx that names the problem (QUALITY.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sync.hlc import HybridClock, SystemClock
from sync.ids import new_id
from sync.ops import PROTOCOL_VERSION
from sync.receipts import format_receipt_number
from sync.schema import SCHEMA_VERSION
from tests.server.conftest import World
from tests.server.conftest import world as world

SHA = "a53225d90a9d0b9bac0cfcf35401bff06a41754af6247c12936a877d00910370"
VERSIONS = {
    "X-Motcua-Protocol": str(PROTOCOL_VERSION),
    "X-Motcua-App": "0.1.0",
    "X-Motcua-Schema": str(SCHEMA_VERSION),
}


@dataclass(frozen=True)
class Found:
    name: str
    method: str
    path: str
    body: Any  # JSON payload, or a function of the world that makes it
    cause: str  # what the server raised when it was found
    #: What the answer must name: a field or the offending character, in the message or
    #: the errors of a 4xx, or in the reason of the rejected operation of a push.
    names: str
    token: bool = True


def _push_with_huge_procedure_id(world: World) -> dict[str, Any]:
    """A push creating a dossier whose ``procedure_id`` does not fit 64 bits."""
    device, commune = world.a.device, world.a.commune
    received = datetime.now(UTC) - timedelta(minutes=1)
    clock = HybridClock(str(device.device_no), SystemClock())
    op = {
        "i": new_id(),
        "c": "dossier",
        "r": new_id(),
        "t": clock.now().encode(),
        "n": 1,
        "f": {
            "receipt_number": format_receipt_number(
                commune.code or str(commune.id), received.year, device.device_no, 1
            ),
            "procedure_id": 2**70,
            "applicant_name": "Vàng Thị Mỷ",
            "channel": "village_visit",
            "received_at": received.isoformat(),
            "status": "received",
        },
    }
    return {"now": int(received.timestamp() * 1000), "ops": [op]}


FOUND = [
    Found(
        "dossier_received_in_year_2",
        "POST",
        "/api/v1/dossiers",
        {
            "procedure_id": "<procedure>",
            "applicant": {"name": "0"},
            "channel": "post",
            "note": "",
            "received_at": "0002-01-01T00:00:00Z",
        },
        "ValueError: year 2 is outside the Vietnamese holiday calendar (1901-2100) "
        "(sync/workdays.py _year, from services/dossiers.py create_dossier → due_date); "
        "both databases",
        names="received_at",
    ),
    Found(
        "dossier_procedure_id_beyond_int64",
        "POST",
        "/api/v1/dossiers",
        {"applicant": {"name": "A"}, "procedure_id": 26079409976569798656},
        "SQLite: OverflowError: Python int too large to convert to SQLite INTEGER; "
        "PostgreSQL: DataError NumericValueOutOfRange (session.get(Procedure, id))",
        names="procedure_id",
    ),
    Found(
        "dossier_procedure_id_beyond_int32",
        "POST",
        "/api/v1/dossiers",
        {"applicant": {"name": "A"}, "procedure_id": -265321040415818},
        "PostgreSQL: DataError NumericValueOutOfRange: integer out of range",
        names="procedure_id",
    ),
    Found(
        "dossier_village_id_beyond_int32",
        "POST",
        "/api/v1/dossiers",
        {"applicant": {"name": "A"}, "procedure_id": "<procedure>", "village_id": 2**40},
        "PostgreSQL: DataError NumericValueOutOfRange: integer out of range",
        names="village_id",
    ),
    Found(
        "blob_content_type_with_nul",
        "POST",
        "/api/v1/blobs",
        {"sha256": SHA, "size": 257, "content_type": "\u0000image/jpeg"},
        "PostgreSQL: DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
        names="NUL",
    ),
    Found(
        "register_username_with_nul",
        "POST",
        "/api/v1/devices",
        {"username": "can\u0000bo", "password": "x", "device_name": "Máy", "app_version": "0.1.0"},
        "PostgreSQL: DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
        names="NUL",
        token=False,
    ),
    Found(
        "dossier_applicant_name_with_nul",
        "POST",
        "/api/v1/dossiers",
        {"applicant": {"name": "Giàng\u0000A Páo"}, "procedure_id": "<procedure>"},
        "PostgreSQL: DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
        names="NUL",
    ),
    Found(
        "dossier_search_with_nul",
        "GET",
        "/api/v1/dossiers?q=a%00b",
        None,
        "PostgreSQL: DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
        names="NUL",
    ),
    Found(
        "dossier_id_with_nul",
        "GET",
        "/api/v1/dossiers/a%00b",
        None,
        "PostgreSQL: DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
        names="NUL",
    ),
    Found(
        "feedback_id_with_nul",
        "GET",
        "/api/v1/feedback/a%00b",
        None,
        "PostgreSQL: DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
        names="NUL",
    ),
    Found(
        "conflict_id_with_nul",
        "POST",
        "/api/v1/conflicts/a%00b/resolve",
        {"choice": "kept"},
        "PostgreSQL: DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
        names="NUL",
    ),
    Found(
        "sync_push_procedure_id_beyond_int64",
        "POST",
        "/api/v1/sync/push",
        _push_with_huge_procedure_id,
        "SQLite: OverflowError: Python int too large to convert to SQLite INTEGER, not caught "
        "by server/sync/push.py (which turns DataError/IntegrityError into `invalid`); "
        "PostgreSQL answers 200 with the operation rejected `invalid`",
        names="procedure_id",
    ),
]


def _fill(value: Any, procedure_id: int) -> Any:
    if value == "<procedure>":
        return procedure_id
    if isinstance(value, dict):
        return {k: _fill(v, procedure_id) for k, v in value.items()}
    return value


@pytest.mark.parametrize("found", FOUND, ids=[f.name for f in FOUND])
def test_a_request_the_fuzzer_found_gets_no_5xx(
    found: Found, app: Flask, client: FlaskClient, world: World
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production, not raise
    headers = dict(VERSIONS)
    if found.token:
        headers["Authorization"] = f"Bearer {world.a.token}"
    body = None
    if found.body is not None:
        payload = found.body(world) if callable(found.body) else found.body
        body = json.dumps(_fill(payload, world.procedure.id)).encode()
        headers["Content-Type"] = "application/json"
    response = client.open(found.path, method=found.method, data=body, headers=headers)
    seen = f"{found.method} {found.path} {body!r} -> {response.status_code}"
    assert response.status_code < 500, f"{seen}; found with: {found.cause}"
    answer = response.get_json()
    if found.path == "/api/v1/sync/push":
        # A push answers 200; the bad operation is rejected with the field it names.
        assert response.status_code == 200, seen
        [result] = answer["results"]
        assert (result["o"], result["r"]) == ("rejected", "invalid"), result
        assert found.names in result["e"], result
        return
    # Anything else: a 4xx in the API's error form, naming the problem.
    assert 400 <= response.status_code < 500, seen
    assert answer["code"] == response.status_code, answer
    said = answer["message"] + json.dumps(answer.get("errors", {}))
    assert found.names in said, f"{seen}: {answer}"
