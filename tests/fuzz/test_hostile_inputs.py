"""Generated hostile inputs for the sync API (issue 10): deep nesting, number aliasing
and cross-commune probes. Hypothesis draws the inputs; each must get the documented
4xx (or per-operation rejection), never a 5xx, and change nothing it should not.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Dossier
from tests.server.conftest import World
from tests.server.conftest import world as world
from tests.server.sync.conftest import FlaskHttp, Tablet, make_tablet, sha256

EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "8")) * 3
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

#: Every JSON endpoint of the API that takes a body.
JSON_ENDPOINTS = [
    ("POST", "/api/v1/devices"),
    ("POST", "/api/v1/sync/push"),
    ("POST", "/api/v1/sync/pull"),
    ("POST", "/api/v1/blobs"),
    ("POST", "/api/v1/blobs/announce"),
    ("POST", "/api/v1/dossiers"),
    ("POST", "/api/v1/feedback"),
    ("POST", "/api/v1/conflicts/00000000-0000-7000-8000-000000000000/resolve"),
]


@pytest.fixture
def tablet(world: World, client: FlaskClient, app: Flask, tmp_path: Any) -> Tablet:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 as in production, not a raise
    app.config["MOTCUA_BLOB_DIR"] = str(tmp_path / "blobs")
    return make_tablet(world.a.device, world.a.token, FlaskHttp(client))


def _dossiers(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Dossier)) or 0)


# -- deep nesting ------------------------------------------------------------------------

nesting = st.tuples(
    st.integers(min_value=65, max_value=60_000),
    st.lists(st.sampled_from(["[", '{"a":']), min_size=1, max_size=3),
    st.sampled_from(JSON_ENDPOINTS),
    st.booleans(),
)


@FUZZ
@given(case=nesting)
def test_deep_nesting_is_a_400_everywhere(tablet: Tablet, case: Any) -> None:
    depth, openers, (method, path), compressed = case
    used = [openers[i % len(openers)] for i in range(depth)]
    closers = ["]" if opener == "[" else "}" for opener in reversed(used)]
    body = ("".join(used) + "".join(closers)).encode()
    headers = tablet.headers(**{"Content-Type": "application/json"})
    if compressed:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    reply = tablet.http.request(method, path, body, headers)
    assert reply.status < 500, (path, depth, reply.status)
    if not compressed or path in ("/api/v1/sync/push", "/api/v1/sync/pull"):
        assert reply.status == 400, (path, depth, reply.status, reply.content[:200])


# -- number aliasing ---------------------------------------------------------------------

not_an_int = st.one_of(
    st.booleans(),
    st.integers(min_value=2**63, max_value=2**200),
    st.integers(max_value=-1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet="0123456789١٢٣１２３", min_size=1, max_size=12),
)


@FUZZ
@given(now=not_an_int)
def test_now_aliases_are_a_422(tablet: Tablet, session: Session, now: Any) -> None:
    _id, create = tablet.new_dossier(tablet_world_procedure(session))
    before = _dossiers(session)
    reply = tablet.post("/api/v1/sync/push", {"now": now, "ops": [create]})
    assert reply.status == 422, (now, reply.status)
    assert "now" in json.dumps(reply.json()["errors"])
    assert _dossiers(session) == before


@FUZZ
@given(
    n=st.one_of(
        st.booleans(),
        st.integers().filter(lambda v: v not in (0, 1)),
        st.floats(),
        st.text(max_size=3),
    )
)
def test_creation_flag_aliases_are_a_422(tablet: Tablet, session: Session, n: Any) -> None:
    _id, create = tablet.new_dossier(tablet_world_procedure(session))
    create["n"] = n
    before = _dossiers(session)
    reply = tablet.post("/api/v1/sync/push", {"now": tablet.clock.physical_ms(), "ops": [create]})
    assert reply.status == 422, (n, reply.status)
    assert "n:" in reply.json()["message"]
    assert _dossiers(session) == before


@FUZZ
@given(
    a=st.text(alphabet="0123456789١٢٣٤１２３４߁൧", min_size=1, max_size=6),
    b=st.text(alphabet="0123456789١٢٣٤１２３４߁൧", min_size=1, max_size=6),
)
def test_cursor_digits_must_be_ascii(tablet: Tablet, a: str, b: str) -> None:
    cursor = f"{a}.{b}"
    reply = tablet.post("/api/v1/sync/pull", {"cursor": cursor})
    if a.isascii() and b.isascii():
        assert reply.status == 200
    else:
        assert reply.status == 422, cursor
        assert "cursor" in json.dumps(reply.json()["errors"])


@FUZZ
@given(zeros=st.integers(min_value=1, max_value=6), extra=st.sampled_from(["", " ", "+", "٣"]))
def test_padded_stamp_nodes_are_a_422(
    tablet: Tablet, session: Session, zeros: int, extra: str
) -> None:
    _id, create = tablet.new_dossier(tablet_world_procedure(session))
    create["t"] = create["t"][:12] + extra + "0" * zeros + tablet.node
    before = _dossiers(session)
    reply = tablet.post("/api/v1/sync/push", {"now": tablet.clock.physical_ms(), "ops": [create]})
    assert reply.status == 422, create["t"]
    assert _dossiers(session) == before


@FUZZ
@given(
    name=st.sampled_from(["procedure_id", "village_id", "handler_id"]),
    value=st.one_of(st.booleans(), st.integers(min_value=2**31), st.integers(max_value=0)),
)
def test_integer_fields_refuse_aliases(
    tablet: Tablet, session: Session, name: str, value: Any
) -> None:
    record_id, create = tablet.new_dossier(tablet_world_procedure(session), **{name: value})
    result = tablet.push_one(create)
    assert (result["o"], result["r"]) == ("rejected", "invalid"), (name, value, result)
    assert name in result["e"]
    assert session.get(Dossier, record_id) is None


# -- cross-commune probes ----------------------------------------------------------------


@settings(FUZZ, max_examples=max(2, EXAMPLES // 3))
@given(data=st.binary(min_size=1, max_size=3000))
def test_another_communes_photo_cannot_be_probed_attached_or_read(
    tablet: Tablet, world: World, client: FlaskClient, session: Session, data: bytes
) -> None:
    other = make_tablet(world.b.device, world.b.token, FlaskHttp(client))
    other.serials = itertools.count(_dossiers(session) + 1)  # unused receipt numbers
    digest = sha256(data)
    announce = json.dumps({"sha256": digest, "size": len(data), "content_type": "image/png"})
    tablet.request(
        "POST", "/api/v1/blobs", announce.encode(), **{"Content-Type": "application/json"}
    )
    state = tablet.request("HEAD", f"/api/v1/blobs/{digest}")
    offset = int(state.headers["Upload-Offset"])
    if offset < len(data):
        tablet.request(
            "PATCH",
            f"/api/v1/blobs/{digest}",
            data[offset:],
            **{"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
        )
    dossier_id, create = tablet.new_dossier(world.procedure)
    attach = tablet.op(
        "attachment",
        new_record_id(),
        {
            "owner_collection": "dossier",
            "owner_id": dossier_id,
            "sha256": digest,
            "filename": "a.png",
            "content_type": "image/png",
            "size": len(data),
        },
        create=True,
    )
    tablet.push([create, attach])
    # From commune B: as if the photo did not exist.
    assert other.request("HEAD", f"/api/v1/blobs/{digest}").status in (404,)
    assert other.request("GET", f"/api/v1/blobs/{digest}").status == 404
    own_dossier, own_create = other.new_dossier(world.procedure)
    probe = other.op(
        "attachment", new_record_id(), dict(attach["f"], owner_id=own_dossier), create=True
    )
    results = other.push([own_create, probe])["results"]
    # Taken as a photo on its way, as for any hash: naming it reads nothing.
    assert results[1]["o"] == "applied", results[1]
    assert other.request("GET", f"/api/v1/blobs/{digest}").status == 404
    seen = other.request(
        "POST", "/api/v1/blobs", announce.encode(), **{"Content-Type": "application/json"}
    ).json()
    assert (seen["offset"], seen["complete"]) == (0, False)
    # And B cannot touch A's records either.
    hijack = other.op("dossier", dossier_id, {"note": "x"})
    assert other.push_one(hijack)["r"] == "forbidden"


def tablet_world_procedure(session: Session) -> Any:
    from server.models import Procedure

    return session.scalars(select(Procedure)).first()


def new_record_id() -> str:
    from sync.ids import new_id

    return new_id()
