"""Notices to citizens: worded right, sent only with consent, through each provider
(checked by a local server that receives the request), retried, logged, never twice.
Nothing here leaves the machine: providers are local HTTP servers and aiosmtpd."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import DossierApology, Notice, utcnow
from server.notices import dispatch, events
from server.notices.providers import EsmsProvider, SmtpProvider, ZaloZnsProvider
from server.notices.text import compose, sms_text, strip_diacritics
from sync.domain import DossierStatus
from tests.server.conftest import World, add_dossier


def test_diacritics_are_dropped_only_to_keep_one_message() -> None:
    assert strip_diacritics("Đã có kết quả, mời ông/bà đến nhận") == (
        "Da co ket qua, moi ong/ba den nhan"
    )
    # Short Vietnamese fits one Unicode SMS (70): kept as written.
    assert sms_text("Hồ sơ đã có kết quả") == ("Hồ sơ đã có kết quả", True)
    _, body = compose("result_ready", "12345-HT-01-0007", "Tả Van")
    assert len(body) > 70  # two Unicode messages …
    text, unicode = sms_text(body)
    assert not unicode and len(text) <= 160  # … or one without diacritics
    assert text == (
        "UBND Ta Van: Ho so 12345-HT-01-0007 da co ket qua. Moi ong/ba den Bo phan mot cua nhan."
    )
    long_text = "Thông báo " * 20  # unaccented still over 160: sent as written, in parts
    assert sms_text(long_text) == (long_text, True)


class Recorder:
    """A local HTTP provider: records each request, answers from a script.

    ``http.server`` rather than werkzeug's, which drops header names with ``_`` (and
    Zalo's API names its header ``access_token``)."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        self.answers = answers
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorder.requests.append((headers, json.loads(body)))
                index = min(len(recorder.requests), len(recorder.answers)) - 1
                status, answer = recorder.answers[index]
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def provider_server() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(recorder: Recorder) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), recorder.handler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/send"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _consenting(session: Session, world: World, **fields: Any) -> Any:
    dossier = add_dossier(session, world.a, world.procedure)
    dossier.applicant_phone = "0912345678"
    dossier.notify_email = "giang.a.pao@example.vn"
    dossier.notify_consent = True
    for key, value in fields.items():
        setattr(dossier, key, value)
    session.commit()
    return dossier


def test_sms_through_the_gateway_once_and_only_with_consent(
    app: Flask, session: Session, world: World, provider_server: Any
) -> None:
    gateway = Recorder([(200, {"CodeResult": "100", "SMSID": "sms-42"})])
    sms = EsmsProvider(provider_server(gateway), "key-1", "secret-1", "UBND_TAVAN")
    agreed = _consenting(session, world, status=DossierStatus.APPROVED)
    _consenting(session, world, status=DossierStatus.APPROVED, notify_consent=False)
    _consenting(session, world, status=DossierStatus.APPROVED, notify_consent=None)
    _consenting(session, world, status=DossierStatus.IN_PROGRESS)  # nothing to tell yet

    for _ in range(2):  # a second run sends nothing again
        dispatch.send_due(session, {}, providers={"sms": sms})
    assert len(gateway.requests) == 1
    _, sent = gateway.requests[0]
    assert sent["ApiKey"] == "key-1" and sent["SecretKey"] == "secret-1"
    assert sent["Phone"] == "0912345678" and sent["Brandname"] == "UBND_TAVAN"
    assert sent["IsUnicode"] == "0" and sent["Content"].startswith("UBND ")
    assert agreed.receipt_number in sent["Content"] and "da co ket qua" in sent["Content"]
    notice = session.scalar(select(Notice))
    assert notice is not None and notice.dossier_id == agreed.id
    assert (notice.state, notice.provider_message_id, notice.attempts) == ("sent", "sms-42", 1)


def test_zalo_template_message_for_a_new_date_after_an_apology(
    app: Flask, session: Session, world: World, provider_server: Any
) -> None:
    zalo_api = Recorder([(200, {"error": 0, "message": "Success", "data": {"msg_id": "z-9"}})])
    zalo = ZaloZnsProvider(provider_server(zalo_api), "oa-token", "tpl-305")
    dossier = _consenting(session, world)
    apology = DossierApology(
        id="01900000-0000-7000-8000-0000000000a1", commune_id=world.a.commune.id,
        dossier_id=dossier.id, reason="Chờ xác minh", new_due_date=date(2026, 12, 15),
        issued_at=utcnow(),
    )  # fmt: skip
    session.add(apology)
    session.commit()
    result = dispatch.send_due(session, {}, providers={"zalo": zalo})
    assert result["sent"] == 1
    headers, sent = zalo_api.requests[0]
    assert headers["access_token"] == "oa-token"
    assert sent["phone"] == "84912345678" and sent["template_id"] == "tpl-305"
    assert sent["template_data"]["receipt_number"] == dossier.receipt_number
    assert "15/12/2026" in sent["template_data"]["content"]
    assert sent["tracking_id"].startswith("motcua-")


def test_temporary_failures_are_retried_and_refusals_are_final(
    app: Flask, session: Session, world: World, provider_server: Any
) -> None:
    flaky = Recorder([(503, {}), (200, {"CodeResult": "100", "SMSID": "ok-2"})])
    sms = EsmsProvider(provider_server(flaky), "k", "s", "B")
    _consenting(session, world, status=DossierStatus.NEEDS_SUPPLEMENT)
    dispatch.send_due(session, {}, providers={"sms": sms})
    notice = session.scalar(select(Notice))
    assert notice is not None and notice.state == "queued" and notice.attempts == 1
    assert "503" in notice.last_error
    dispatch.send_due(session, {}, providers={"sms": sms})  # before its retry time: nothing
    assert len(flaky.requests) == 1
    dispatch.send_due(session, {}, utcnow() + timedelta(minutes=2), providers={"sms": sms})
    session.refresh(notice)
    assert (notice.state, notice.provider_message_id, notice.kind) == (
        "sent", "ok-2", "supplement_needed"
    )  # fmt: skip

    refusing = Recorder([(200, {"CodeResult": "789", "ErrorMessage": "Sai mẫu tin"})])
    _consenting(session, world, status=DossierStatus.REJECTED)
    dispatch.send_due(session, {}, providers={"sms": EsmsProvider(provider_server(refusing),
                                                                  "k", "s", "B")})  # fmt: skip
    failed = session.scalar(select(Notice).where(Notice.kind == "result_ready"))
    assert failed is not None and failed.state == "failed" and "789" in failed.last_error


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_email_over_smtp(app: Flask, session: Session, world: World) -> None:
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Inbox:
        async def handle_DATA(self, server: Any, smtp_session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    port = _free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = SmtpProvider("127.0.0.1", port, "motcua@laocai.gov.vn")
        dossier = _consenting(session, world, status=DossierStatus.APPROVED)
        assert dispatch.send_due(session, {}, providers={"email": smtp})["sent"] == 1
    finally:
        controller.stop()
    assert len(received) == 1
    envelope = received[0]
    assert envelope.rcpt_tos == ["giang.a.pao@example.vn"]
    email = message_from_bytes(envelope.content)
    subject = str(make_header(decode_header(email["Subject"])))
    assert subject == f"Hồ sơ {dossier.receipt_number}: đã có kết quả"
    body = email.get_payload(decode=True).decode("utf-8")
    assert "đã có kết quả" in body and "Tả Van" in body
    notice = session.scalar(select(Notice))
    assert notice is not None and notice.state == "sent" and notice.provider_message_id


def test_consent_given_at_intake_reaches_the_server(
    live_server: Any, session: Session, world: World, tmp_path: Any
) -> None:
    from server.models import Dossier
    from tests.faults.conftest import register

    tablet = register(tmp_path / "t.db", live_server.url, world.a.officer.username)
    try:
        agreed = tablet.create_dossier(
            world.procedure.id, "Giàng A Páo", applicant_phone="0912345678",
            notify_consent=True, notify_email="giang.a.pao@example.vn",
        )  # fmt: skip
        silent = tablet.create_dossier(world.procedure.id, "Lý Thị Mai")
        assert tablet.sync().ok
    finally:
        tablet.close()
    session.expire_all()
    on_server = session.get(Dossier, agreed)
    assert on_server is not None and on_server.notify_consent is True
    assert on_server.notify_email == "giang.a.pao@example.vn"
    other = session.get(Dossier, silent)
    assert other is not None and other.notify_consent is None  # not asked: no notices


def test_one_supplement_notice_per_request_for_papers(
    app: Flask, session: Session, world: World, provider_server: Any
) -> None:
    from server.models import DossierEvent
    from sync.ids import new_id

    gateway = Recorder([(200, {"CodeResult": "100", "SMSID": "s"})])
    sms = {"sms": EsmsProvider(provider_server(gateway), "k", "s", "B")}
    dossier = _consenting(session, world, status=DossierStatus.NEEDS_SUPPLEMENT)

    def asked(minutes: int) -> None:
        session.add(
            DossierEvent(id=new_id(), commune_id=dossier.commune_id, dossier_id=dossier.id,
                         kind="status_changed", occurred_at=utcnow() + timedelta(minutes=minutes),
                         from_status="in_progress", to_status="needs_supplement")
        )  # fmt: skip
        session.commit()

    asked(0)
    dispatch.send_due(session, {}, providers=sms)
    dossier.note = "Đã gọi điện nhắc"  # an edit of the dossier: nothing new to tell
    session.commit()
    dispatch.send_due(session, {}, providers=sms)
    assert len(gateway.requests) == 1
    asked(5)  # papers asked for a second time
    dispatch.send_due(session, {}, providers=sms)
    assert len(gateway.requests) == 2


def test_a_shared_dossier_names_the_centre_of_return_and_the_commune_that_apologised(
    session: Session, world: World
) -> None:
    """Filed in Tả Van, settled by Y Tý, result returned in Y Tý (Decree 118/2025/NĐ-CP:
    the citizen receives the result at the centre of their choice): the citizen is sent
    to Y Tý for it, and the apology for a late dossier is Y Tý's, which issued it
    (art. 19). Nothing names a commune that is not involved."""
    world.procedure.receivable_anywhere = True
    dossier = _consenting(
        session,
        world,
        status=DossierStatus.APPROVED,
        settling_commune_id=world.b.commune.id,
        return_commune_id=world.b.commune.id,
    )
    session.add(
        DossierApology(
            id="01900000-0000-7000-8000-0000000000b2", commune_id=world.a.commune.id,
            dossier_id=dossier.id, reason="Chờ xác minh", new_due_date=date(2026, 12, 15),
            issued_at=utcnow(), officer_id=world.b.leader.id,
        )
    )  # fmt: skip
    session.commit()
    assert events.collect(session, {"sms"}) == 2
    bodies = {n.kind: n.body for n in session.scalars(select(Notice))}
    assert bodies["result_ready"].startswith(f"UBND {world.b.commune.name}: ")
    assert bodies["new_due_date"].startswith(f"UBND {world.b.commune.name} xin lỗi: ")
