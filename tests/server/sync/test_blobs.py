"""Photos: resumable content-addressed uploads and attachment records (G11)."""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.models import Attachment, Blob, BlobHolder
from server.sync.blobs import attachment_complete
from sync.ids import new_id
from tests.server.conftest import World
from tests.server.sync.conftest import (
    FlaskHttp,
    LiveHttp,
    Tablet,
    make_tablet,
    second_tablet,
    sha256,
)

CHUNK = "application/offset+octet-stream"


def announce(tablet: Tablet, data: bytes, digest: str | None = None) -> Any:
    body = {"sha256": digest or sha256(data), "size": len(data), "content_type": "image/jpeg"}
    return tablet.request(
        "POST", "/api/v1/blobs", json.dumps(body).encode(), **{"Content-Type": "application/json"}
    )


def append(tablet: Tablet, digest: str, offset: int, chunk: bytes) -> Any:
    return tablet.request(
        "PATCH",
        f"/api/v1/blobs/{digest}",
        chunk,
        **{"Upload-Offset": str(offset), "Content-Type": CHUNK},
    )


def upload(tablet: Tablet, data: bytes, chunk_size: int = 1000) -> None:
    reply = announce(tablet, data)
    offset = reply.json()["offset"]
    while offset < len(data):
        reply = append(tablet, sha256(data), offset, data[offset : offset + chunk_size])
        assert reply.status == 204, reply.json()
        offset = int(reply.headers["Upload-Offset"])


def attachment_op(tablet: Tablet, owner_id: str, data: bytes) -> tuple[str, dict[str, Any]]:
    record_id = new_id()
    fields = {
        "owner_collection": "dossier",
        "owner_id": owner_id,
        "sha256": sha256(data),
        "filename": "to-khai.jpg",
        "content_type": "image/jpeg",
        "size": len(data),
    }
    return record_id, tablet.op("attachment", record_id, fields, create=True)


@pytest.fixture
def live_tablet(live_server: Any, world: World) -> Tablet:
    """Commune A's tablet talking to the live server over real HTTP."""
    return make_tablet(world.a.device, world.a.token, LiveHttp(live_server.url))


def test_g11_resumable_upload_over_several_patches(
    live_tablet: Tablet, session: Session, blob_dir: Path
) -> None:
    tablet = live_tablet
    data = os.urandom(2500)
    digest = sha256(data)
    created = announce(tablet, data)
    assert created.status == 201
    assert created.json() == {
        "sha256": digest,
        "size": 2500,
        "content_type": "image/jpeg",
        "offset": 0,
        "complete": False,
    }
    first = append(tablet, digest, 0, data[:1000])
    assert first.status == 204
    assert first.headers["Upload-Offset"] == "1000"
    # The connection drops; the tablet asks where the upload stands and resumes.
    head = tablet.request("HEAD", f"/api/v1/blobs/{digest}")
    assert head.status == 200
    assert head.headers["Upload-Offset"] == "1000"
    assert head.headers["Upload-Length"] == "2500"
    again = announce(tablet, data)
    assert (again.status, again.json()["offset"]) == (200, 1000)
    # A wrong offset is refused with the right one.
    wrong = append(tablet, digest, 500, data[500:1500])
    assert wrong.status == 409
    assert wrong.headers["Upload-Offset"] == "1000"
    assert wrong.json()["offset"] == 1000
    assert append(tablet, digest, 1000, data[1000:2000]).headers["Upload-Offset"] == "2000"
    last = append(tablet, digest, 2000, data[2000:])
    assert last.status == 204
    assert last.headers["Upload-Offset"] == "2500"
    blob = session.get(Blob, digest)
    assert blob is not None
    session.refresh(blob)
    assert blob.verified and blob.received == 2500
    stored = blob_dir / digest[:2] / digest
    assert stored.read_bytes() == data
    assert not (blob_dir / "partial" / f"{digest}.part").exists()


def _tcp_queues(local_port: int, remote_port: int) -> tuple[int, int] | None:
    """(send queue, receive queue) of the loopback TCP socket ``local → remote`` as the
    kernel reports it in /proc/net/tcp, or None if there is no such socket."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, queues = fields[1], fields[2], fields[4]
        if int(local.split(":")[1], 16) == local_port and (
            int(remote.split(":")[1], 16) == remote_port
        ):
            send, receive = queues.split(":")
            return int(send, 16), int(receive, 16)
    return None


def _wait_until_read(client_port: int, server_port: int, timeout: float = 20) -> None:
    """Wait until every byte the client sent was delivered and read by the server."""
    deadline = time.monotonic() + timeout
    while True:
        client = _tcp_queues(client_port, server_port)
        server = _tcp_queues(server_port, client_port)
        if client is not None and server is not None and client[0] == 0 and server[1] == 0:
            return
        assert time.monotonic() < deadline, f"not read by the server: {client}, {server}"
        time.sleep(0.005)


def _send_cut_chunk(
    base_url: str, tablet: Tablet, digest: str, declared: int, part: bytes, *, reset: bool
) -> None:
    """A PATCH announcing ``declared`` bytes whose connection dies after ``part``:
    closed (FIN) or reset (RST, as a dead link's relay or a timed-out client does)."""
    host, port = base_url.removeprefix("http://").split(":")
    head = [
        f"PATCH /api/v1/blobs/{digest} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: {CHUNK}",
        "Upload-Offset: 0",
        f"Content-Length: {declared}",
        *(f"{name}: {value}" for name, value in tablet.headers().items()),
    ]
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + part)
        # A reset discards what the server's kernel holds unread: wait until the server
        # has read every byte sent before the cut.
        _wait_until_read(conn.getsockname()[1], int(port))
        if reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return  # closing now resets the connection
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(10)
        conn.recv(1)  # wait until the server has finished with the cut request


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_g11_a_cut_chunk_keeps_the_bytes_that_arrived(
    live_server: Any, live_tablet: Tablet, blob_dir: Path, reset: bool
) -> None:
    data = os.urandom(100_000)
    digest = sha256(data)
    assert announce(live_tablet, data).status == 201
    # A 100,000-byte chunk is cut after 30,000 bytes: the server keeps those.
    _send_cut_chunk(live_server.url, live_tablet, digest, len(data), data[:30_000], reset=reset)
    for _ in range(50):  # the server notices the reset on its own time
        head = live_tablet.request("HEAD", f"/api/v1/blobs/{digest}")
        if head.headers["Upload-Offset"] != "0":
            break
        time.sleep(0.1)
    held = int(head.headers["Upload-Offset"])
    if reset:  # what the server had read before the reset; a few KiB may be lost with it
        assert 30_000 - 8192 <= held <= 30_000
    else:
        assert held == 30_000
    # The tablet resumes from there, and the photo is whole.
    last = append(live_tablet, digest, held, data[held:])
    assert (last.status, last.headers["Upload-Offset"]) == (204, "100000")
    assert (blob_dir / digest[:2] / digest).read_bytes() == data


def test_g11_hash_mismatch_discards_the_bytes(
    tablet_a: Tablet, session: Session, blob_dir: Path
) -> None:
    data = os.urandom(1500)
    claimed = sha256(b"something else")
    assert announce(tablet_a, data, claimed).status == 201
    assert append(tablet_a, claimed, 0, data[:1000]).status == 204
    bad = append(tablet_a, claimed, 1000, data[1000:])
    assert bad.status == 422
    assert bad.json()["status"] == "hash_mismatch"
    assert sha256(data) in bad.json()["message"]
    upload_row = session.get(BlobHolder, (claimed, tablet_a.commune_id))
    assert upload_row is not None
    session.refresh(upload_row)
    assert (upload_row.received, upload_row.verified) == (0, False)
    assert session.get(Blob, claimed) is None
    assert not (blob_dir / claimed[:2] / claimed).exists()
    head = tablet_a.request("HEAD", f"/api/v1/blobs/{claimed}")
    assert head.headers["Upload-Offset"] == "0"


def test_g11_a_complete_blob_is_never_uploaded_again_in_its_commune(
    tablet_a: Tablet, world: World, session: Session, client: Any
) -> None:
    data = os.urandom(800)
    upload(tablet_a, data)
    # Another tablet of the same commune with the same photo: nothing to send.
    other = second_tablet(session, world.a, FlaskHttp(client))
    known = announce(other, data)
    assert known.status == 200
    assert known.json()["complete"] is True
    assert known.json()["offset"] == 800
    assert append(other, sha256(data), 0, data).status == 409


def test_g11_attachment_before_its_blob_is_on_its_way_until_the_bytes_arrive(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    """Records before photos: the attachment is stored at once, its photo on its way
    (unreadable) until the commune's upload of it is verified."""
    data = os.urandom(1200)
    digest = sha256(data)
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    attachment_id, attach = attachment_op(tablet_a, dossier_id, data)
    results = tablet_a.push([create, attach])["results"]
    assert [r["o"] for r in results] == ["applied", "applied"]
    assert session.get(Attachment, attachment_id) is not None
    assert not attachment_complete(session, digest, tablet_a.commune_id)
    assert tablet_a.request("GET", f"/api/v1/blobs/{digest}").status == 404
    # Half uploaded is still on its way.
    assert announce(tablet_a, data).json() == {
        "sha256": digest,
        "size": 1200,
        "content_type": "image/jpeg",
        "offset": 0,
        "complete": False,
    }
    append(tablet_a, digest, 0, data[:600])
    assert tablet_a.request("GET", f"/api/v1/blobs/{digest}").status == 404
    assert append(tablet_a, digest, 600, data[600:]).status == 204
    session.expire_all()
    assert attachment_complete(session, digest, tablet_a.commune_id)
    mine = tablet_a.request("GET", f"/api/v1/blobs/{digest}")
    assert (mine.status, mine.content) == (200, data)
    blob = session.get(Blob, digest)
    assert blob is not None and blob.verified and blob.size == 1200
    # Pushed again (an answer lost), the attachment is applied once.
    assert tablet_a.push_one(attach)["o"] in ("applied", "duplicate")
    assert len(session.scalars(select(Attachment).where(Attachment.sha256 == digest)).all()) == 1


def test_g11_an_attachment_must_match_the_announced_size(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    data = os.urandom(500)
    announce(tablet_a, data)
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    attachment_id, attach = attachment_op(tablet_a, dossier_id, data)
    attach["f"]["size"] = 501
    results = tablet_a.push([create, attach])["results"]
    assert (results[1]["o"], results[1]["r"]) == ("rejected", "invalid")
    assert "size" in results[1]["e"]
    huge = attachment_op(tablet_a, dossier_id, data)[1]
    huge["f"]["size"] = 64 * 1024 * 1024 + 1
    refused = tablet_a.push_one(huge)
    assert (refused["o"], refused["r"]) == ("rejected", "invalid")
    assert session.get(Attachment, attachment_id) is None


def test_g11_a_photo_that_never_comes_stays_on_its_way(
    tablet_a: Tablet, world: World, session: Session, app: Any
) -> None:
    """Bytes that never come: the attachment stays (on its way, unreadable); the
    cleanup of abandoned uploads drops the partial bytes but keeps the row it names."""
    from server.jobs.tasks import cleanup_uploads

    data = os.urandom(900)
    digest = sha256(data)
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    attachment_id, attach = attachment_op(tablet_a, dossier_id, data)
    assert [r["o"] for r in tablet_a.push([create, attach])["results"]] == ["applied"] * 2
    announce(tablet_a, data)
    append(tablet_a, digest, 0, data[:300])
    session.expire_all()
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    session.execute(update(BlobHolder).values(updated_at=long_ago))
    session.execute(update(Blob).values(updated_at=long_ago))
    session.commit()
    with app.app_context():
        done = cleanup_uploads(session, {})
        session.commit()
    assert done["removed"] == 1
    session.expire_all()
    assert session.get(BlobHolder, (digest, tablet_a.commune_id)) is None
    assert session.get(Blob, digest) is not None  # the attachment still points at it
    assert session.get(Attachment, attachment_id) is not None
    assert not attachment_complete(session, digest, tablet_a.commune_id)
    # The tablet comes back: it uploads from the start and the photo is complete.
    assert announce(tablet_a, data).json()["offset"] == 0
    upload(tablet_a, data)
    session.expire_all()
    assert attachment_complete(session, digest, tablet_a.commune_id)


def test_g11_photo_bytes_only_for_the_commune_that_uses_them(
    tablet_a: Tablet, tablet_b: Tablet, world: World
) -> None:
    data = os.urandom(700)
    digest = sha256(data)
    upload(tablet_a, data)
    # Uploaded but attached to nothing yet: nobody reads it.
    assert tablet_a.request("GET", f"/api/v1/blobs/{digest}").status == 404
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    _attachment_id, attach = attachment_op(tablet_a, dossier_id, data)
    assert [r["o"] for r in tablet_a.push([create, attach])["results"]] == ["applied"] * 2
    mine = tablet_a.request("GET", f"/api/v1/blobs/{digest}")
    assert mine.status == 200
    assert mine.content == data
    assert mine.headers["Content-Type"] == "image/jpeg"
    theirs = tablet_b.request("GET", f"/api/v1/blobs/{digest}")
    assert theirs.status == 404
    assert theirs.json()["code"] == 404


def test_g11_upload_errors_are_json_4xx(tablet_a: Tablet, app: Any) -> None:
    data = os.urandom(300)
    digest = sha256(data)
    assert tablet_a.request("HEAD", f"/api/v1/blobs/{digest}").status == 404
    assert append(tablet_a, digest, 0, data).status == 404
    announce(tablet_a, data)
    no_offset = tablet_a.request(
        "PATCH", f"/api/v1/blobs/{digest}", data, **{"Content-Type": CHUNK}
    )
    assert no_offset.status == 400
    assert "Upload-Offset" in no_offset.json()["message"]
    wrong_type = tablet_a.request(
        "PATCH",
        f"/api/v1/blobs/{digest}",
        data,
        **{"Content-Type": "image/jpeg", "Upload-Offset": "0"},
    )
    assert wrong_type.status == 415
    past_end = append(tablet_a, digest, 0, data + b"extra")
    assert past_end.status == 413
    bad_hash = tablet_a.request("HEAD", "/api/v1/blobs/not-a-hash")
    assert bad_hash.status == 400
    bad_size = announce(tablet_a, data, "ab" * 32)
    assert bad_size.status == 201
    conflicting = tablet_a.request(
        "POST",
        "/api/v1/blobs",
        json.dumps({"sha256": "ab" * 32, "size": 5, "content_type": "image/png"}).encode(),
        **{"Content-Type": "application/json"},
    )
    assert conflicting.status == 422
    malformed = tablet_a.request(
        "POST",
        "/api/v1/blobs",
        json.dumps({"sha256": "XYZ", "size": 0}).encode(),
        **{"Content-Type": "application/json"},
    )
    assert malformed.status == 422
    assert {"sha256", "size", "content_type"} <= set(malformed.json()["errors"]["json"])
    app.config["MAX_CONTENT_LENGTH"] = 100
    too_big = append(tablet_a, digest, 0, data)
    assert too_big.status == 413
    assert too_big.json()["code"] == 413


def test_g11_a_lost_part_file_restarts_the_upload(tablet_a: Tablet, blob_dir: Path) -> None:
    data = os.urandom(900)
    digest = sha256(data)
    announce(tablet_a, data)
    append(tablet_a, digest, 0, data[:400])
    (blob_dir / "partial" / f"{digest}.{tablet_a.commune_id}.part").unlink()
    assert announce(tablet_a, data).json()["offset"] == 0
    upload(tablet_a, data, chunk_size=300)
    assert (blob_dir / digest[:2] / digest).read_bytes() == data


def test_g11_several_photos_are_announced_in_one_request(
    tablet_a: Tablet, session: Session
) -> None:
    known, fresh, partial = os.urandom(700), os.urandom(800), os.urandom(900)
    upload(tablet_a, known)
    assert announce(tablet_a, partial).status == 201
    assert append(tablet_a, sha256(partial), 0, partial[:300]).status == 204

    def announce_many(*items: dict[str, Any]) -> Any:
        body = json.dumps({"blobs": list(items)}).encode()
        return tablet_a.request(
            "POST", "/api/v1/blobs/announce", body, **{"Content-Type": "application/json"}
        )

    def item(data: bytes, **overrides: Any) -> dict[str, Any]:
        return {"sha256": sha256(data), "size": len(data), "content_type": "image/jpeg"} | overrides

    reply = announce_many(item(known), item(fresh), item(partial))
    assert reply.status == 200, reply.json()
    states = [(s["sha256"], s["offset"], s["complete"]) for s in reply.json()["blobs"]]
    assert states == [
        (sha256(known), 700, True),  # never uploaded again
        (sha256(fresh), 0, False),
        (sha256(partial), 300, False),  # resume here
    ]
    assert session.get(BlobHolder, (sha256(fresh), tablet_a.commune_id)) is not None
    # One bad item refuses the whole announcement, naming the item.
    other = os.urandom(100)
    bad = announce_many(item(other), item(fresh, size=5))
    assert bad.status == 422
    assert "blobs.1.size" in bad.json()["errors"]
    session.expire_all()
    assert session.get(BlobHolder, (sha256(other), tablet_a.commune_id)) is None
    assert announce_many().status == 422  # at least one


def test_g11_another_communes_photo_does_not_exist_until_uploaded_here(
    tablet_a: Tablet, tablet_b: Tablet, world: World, session: Session, blob_dir: Path
) -> None:
    """Issue 10.1: from commune B, a photo of commune A is probed, announced, attached
    and read by its hash as if it did not exist; B's tablet must upload the bytes."""
    data = os.urandom(900)
    digest = sha256(data)
    dossier_a, create_a = tablet_a.new_dossier(world.procedure)
    _att, attach_a = attachment_op(tablet_a, dossier_a, data)
    upload(tablet_a, data)
    assert [r["o"] for r in tablet_a.push([create_a, attach_a])["results"]] == ["applied"] * 2

    assert tablet_b.request("HEAD", f"/api/v1/blobs/{digest}").status == 404
    assert tablet_b.request("GET", f"/api/v1/blobs/{digest}").status == 404
    dossier_b, create_b = tablet_b.new_dossier(world.procedure)
    _attachment_b, attach_b = attachment_op(tablet_b, dossier_b, data)
    results = tablet_b.push([create_b, attach_b])["results"]
    # Taken as on its way, exactly as for a hash nobody uploaded: the answer tells
    # nothing, and naming the hash reads nothing (proof of possession).
    assert [r["o"] for r in results] == ["applied", "applied"]
    assert not attachment_complete(session, digest, tablet_b.commune_id)
    assert tablet_b.request("GET", f"/api/v1/blobs/{digest}").status == 404
    assert tablet_b.request("HEAD", f"/api/v1/blobs/{digest}").status == 404
    fresh = announce(tablet_b, data)
    assert (fresh.status, fresh.json()["offset"], fresh.json()["complete"]) == (201, 0, False)
    many = tablet_b.request(
        "POST",
        "/api/v1/blobs/announce",
        json.dumps(
            {"blobs": [{"sha256": digest, "size": len(data), "content_type": "image/jpeg"}]}
        ).encode(),
        **{"Content-Type": "application/json"},
    )
    assert many.json()["blobs"][0]["complete"] is False
    # A size that differs from A's announcement tells B nothing either.
    assert announce(tablet_b, data + b"x", digest).status == 422  # B's own announcement
    # Proof of possession: B uploads the bytes, then attaches and reads them.
    assert tablet_b.request("GET", f"/api/v1/blobs/{digest}").status == 404
    upload(tablet_b, data, chunk_size=400)
    session.expire_all()
    assert attachment_complete(session, digest, tablet_b.commune_id)
    mine = tablet_b.request("GET", f"/api/v1/blobs/{digest}")
    assert (mine.status, mine.content) == (200, data)
    # One copy of the bytes is kept.
    assert (blob_dir / digest[:2] / digest).read_bytes() == data
    assert not list((blob_dir / "partial").glob(f"{digest}*"))


def test_g11_a_wrong_upload_by_another_commune_cannot_spoil_a_photo(
    tablet_a: Tablet, tablet_b: Tablet, blob_dir: Path
) -> None:
    data = os.urandom(600)
    digest = sha256(data)
    upload(tablet_a, data)
    assert announce(tablet_b, data).json()["offset"] == 0
    bad = append(tablet_b, digest, 0, os.urandom(600))
    assert bad.status == 422
    assert (blob_dir / digest[:2] / digest).read_bytes() == data
    assert announce(tablet_a, data).json()["complete"] is True
