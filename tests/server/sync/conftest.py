"""Helpers for the sync server tests: a scripted tablet speaking the wire protocol.

A :class:`Tablet` makes operations the way the app does (UUIDv7 ids, HLC stamps whose
node is its device number, receipt numbers with its device number) and sends them over
the Flask test client or, with :class:`LiveHttp`, over real HTTP to the live server.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import AdminUnit, Device, Procedure
from sync.hlc import HybridClock, ManualClock, SystemClock, Timestamp
from sync.ids import new_id
from sync.ops import Cursor
from sync.receipts import format_receipt_number
from sync.schema import SCHEMA_VERSION
from tests import factories
from tests.server.conftest import CommuneKit, World

VERSION_HEADERS = {
    "X-Motcua-Protocol": "1",
    "X-Motcua-App": "0.1.0",
    "X-Motcua-Schema": str(SCHEMA_VERSION),
}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    content: bytes  # as sent (still gzip-compressed if Content-Encoding says so)

    def json(self) -> Any:
        body = self.content
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return json.loads(body) if body else None


class FlaskHttp:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        with self.client.open(path, method=method, data=body, headers=headers) as response:
            return Reply(response.status_code, dict(response.headers), response.get_data())


class LiveHttp:
    """Real HTTP; the raw (still compressed) body is kept, like the Flask client."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        response = self.session.request(
            method, self.base_url + path, data=body, headers=headers, timeout=30, stream=True
        )
        raw = response.raw.read(decode_content=False)
        response.close()
        return Reply(response.status_code, dict(response.headers), raw)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass
class Tablet:
    """One registered tablet of a commune, offline-capable, with its own HLC."""

    device_id: str
    device_no: int
    token: str
    commune_id: int
    commune_code: str
    http: Any
    clock: HybridClock
    serials: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    gzip_requests: bool = True

    @property
    def node(self) -> str:
        return str(self.device_no)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **VERSION_HEADERS, **extra}

    # -- operations ------------------------------------------------------------------------

    def op(
        self,
        collection: str,
        record_id: str,
        fields: dict[str, Any],
        *,
        create: bool = False,
        base: dict[str, str] | None = None,
        stamp: str | None = None,
    ) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "i": new_id(),
            "c": collection,
            "r": record_id,
            "t": stamp or self.clock.now().encode(),
            "f": fields,
        }
        if create:
            wire["n"] = 1
        if base:
            wire["b"] = base
        return wire

    def receipt_number(self, received: datetime | None = None) -> str:
        year = (received or now_utc()).year
        return format_receipt_number(self.commune_code, year, self.device_no, next(self.serials))

    def dossier_fields(self, procedure: Procedure, **overrides: Any) -> dict[str, Any]:
        received = overrides.pop("received", now_utc() - timedelta(minutes=1))
        fields: dict[str, Any] = {
            "receipt_number": self.receipt_number(received),
            "procedure_id": procedure.id,
            "applicant_name": "Vàng Thị Mỷ",
            "applicant_cccd": factories.valid_cccd(),
            "channel": "village_visit",
            "received_at": iso(received),
            "status": "received",
        }
        fields.update(overrides)
        return fields

    def new_dossier(self, procedure: Procedure, **overrides: Any) -> tuple[str, dict[str, Any]]:
        record_id = new_id()
        return record_id, self.op(
            "dossier", record_id, self.dossier_fields(procedure, **overrides), create=True
        )

    def new_event(self, dossier_id: str, **overrides: Any) -> tuple[str, dict[str, Any]]:
        record_id = new_id()
        fields = {
            "dossier_id": dossier_id,
            "kind": "note",
            "occurred_at": iso(now_utc() - timedelta(seconds=30)),
            "note": "Đã gọi điện cho công dân",
        } | overrides
        return record_id, self.op("dossier_event", record_id, fields, create=True)

    def new_feedback(self, **overrides: Any) -> tuple[str, dict[str, Any]]:
        record_id = new_id()
        fields = {
            "kind": "report",
            "content": "Đường vào bản bị sạt lở",
            "channel": "counter",
            "received_at": iso(now_utc() - timedelta(minutes=5)),
            "status": "new",
        } | overrides
        return record_id, self.op("feedback", record_id, fields, create=True)

    # -- transport ------------------------------------------------------------------------

    def post(
        self,
        path: str,
        payload: Any,
        *,
        gzip_body: bool | None = None,
        accept_gzip: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body = json.dumps(payload).encode()
        all_headers = self.headers(**{"Content-Type": "application/json"})
        if gzip_body if gzip_body is not None else self.gzip_requests:
            body = gzip.compress(body)
            all_headers["Content-Encoding"] = "gzip"
        all_headers["Accept-Encoding"] = "gzip" if accept_gzip else "identity"
        all_headers.update(headers or {})
        return self.http.request("POST", path, body, all_headers)

    def push(self, ops: list[dict[str, Any]], *, now_ms: int | None = None) -> dict[str, Any]:
        device_now = (
            now_ms if now_ms is not None else self.clock.physical_ms() - self.clock.offset_ms
        )
        reply = self.post("/api/v1/sync/push", {"now": device_now, "ops": ops})
        assert reply.status == 200, reply.json()
        body: dict[str, Any] = reply.json()
        return body

    def push_one(self, op: dict[str, Any], **kw: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.push([op], **kw)["results"][0]
        return result

    def pull(self, cursor: str = "", budget: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"cursor": cursor}
        if budget is not None:
            payload["budget"] = budget
        reply = self.post("/api/v1/sync/pull", payload)
        assert reply.status == 200, reply.json()
        body: dict[str, Any] = reply.json()
        return body

    def pull_all(self, cursor: str = "", budget: int | None = None) -> tuple[list[Any], str]:
        """Every page until ``more`` is false; the changes and the final cursor."""
        changes: list[Any] = []
        for _ in range(10_000):
            page = self.pull(cursor, budget)
            changes.extend(page["changes"])
            cursor = page["cursor"]
            if not page["more"]:
                return changes, cursor
        raise AssertionError("pull never ended")

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> Reply:
        return self.http.request(method, path, body, self.headers(**headers))


def latest(changes: list[dict[str, Any]], collection: str, record_id: str) -> dict[str, Any]:
    """The record as a device would hold it after applying ``changes`` in order."""
    state: dict[str, Any] = {"f": {}, "k": {}}
    found = False
    for change in changes:
        if change["c"] == collection and change["r"] == record_id:
            found = True
            state["f"].update(change["f"])
            state["k"].update(change.get("k", {}))
            state["d"] = change.get("d", 0)
            state["s"] = change["s"]
    assert found, f"{collection} {record_id} not pulled"
    return state


def commune_cursor(cursor: str) -> int:
    return Cursor.decode(cursor).commune


@pytest.fixture(autouse=True)
def blob_dir(app: Flask, tmp_path: Path) -> Path:
    path = tmp_path / "blobs"
    app.config["MOTCUA_BLOB_DIR"] = str(path)
    return path


def make_tablet(
    device: Device, token: str, http: Any, *, clock: HybridClock | None = None
) -> Tablet:
    commune: AdminUnit = device.commune
    return Tablet(
        device_id=device.id,
        device_no=device.device_no,
        token=token,
        commune_id=commune.id,
        commune_code=commune.code or str(commune.id),
        http=http,
        clock=clock or HybridClock(str(device.device_no), SystemClock()),
    )


@pytest.fixture
def tablet_a(world: World, client: FlaskClient) -> Tablet:
    return make_tablet(world.a.device, world.a.token, FlaskHttp(client))


@pytest.fixture
def tablet_b(world: World, client: FlaskClient) -> Tablet:
    return make_tablet(world.b.device, world.b.token, FlaskHttp(client))


def second_tablet(
    session: Session, kit: CommuneKit, http: Any, *, clock: HybridClock | None = None
) -> Tablet:
    """Another tablet of the same commune (its own device number)."""
    device, token = factories.device(session, kit.officer, name="Máy thứ hai")
    session.commit()
    return make_tablet(device, token, http, clock=clock)


def skewed_clock(node: str, ahead: timedelta) -> HybridClock:
    """A tablet clock running ``ahead`` of true time (no offset from the server yet)."""
    physical = ManualClock(SystemClock().now_ms() + int(ahead.total_seconds() * 1000))
    return HybridClock(node, physical)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stamp_wall(stamp: str) -> int:
    return Timestamp.decode(stamp).wall_ms
