"""Photos: announce, resume, append and fetch content-addressed blobs (PROTOCOL.md §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import ClientDisconnected

from server import metrics
from server.api.blobs.schemas import (
    BlobAnnounceSchema,
    BlobCreateSchema,
    BlobStatusListSchema,
    BlobStatusSchema,
    OffsetErrorSchema,
)
from server.api.common import BEARER
from server.api.sync.resources import (
    VERSION_HEADERS,
    json_body_doc,
    load,
    read_body,
    sync_device,
)
from server.auth.context import current_scope
from server.extensions import db, db_session
from server.services.errors import Invalid, ServiceError
from server.sync import blobs as blob_service
from server.translatable import msg

blp = Blueprint("blobs", __name__, url_prefix="blobs", description="Photos (ảnh đính kèm)")

OFFSET_HEADER = "Upload-Offset"
CHUNK_TYPE = "application/offset+octet-stream"


class UnsupportedChunkType(ServiceError):
    http_status = 415
    code = "unsupported_media_type"


#: How much of a chunk is read from the connection at a time. Small, because a server
#: may buffer a read until it is full (gunicorn does), and a reset connection loses
#: that buffer.
_READ_SIZE = 4 * 1024


def _read_chunk() -> tuple[bytes, bool]:
    """The chunk's bytes as they arrived, and whether the connection was cut first.

    A chunk cut after some bytes is not lost: what arrived is appended like a smaller
    chunk (PROTOCOL.md §8.3), so the next attempt resumes from the last byte received
    instead of re-sending the whole chunk. TCP delivers a prefix of what was sent, and
    the SHA-256 is checked when the last byte is in.
    """
    pieces: list[bytes] = []
    try:
        while piece := request.stream.read(_READ_SIZE):
            pieces.append(piece)
    except (ClientDisconnected, OSError):  # closed, or reset (ConnectionResetError)
        return b"".join(pieces), True
    chunk = b"".join(pieces)
    # Some servers (gunicorn) end the stream early instead of raising.
    declared = request.content_length
    return chunk, declared is not None and len(chunk) < declared


def _files() -> blob_service.BlobFiles:
    return blob_service.BlobFiles(Path(current_app.config["MOTCUA_BLOB_DIR"]))


def _status_headers(state: blob_service.BlobState) -> dict[str, str]:
    return {
        OFFSET_HEADER: str(state.offset),
        "Upload-Length": str(state.size),
        "Cache-Control": "no-store",
    }


def _state_body(state: blob_service.BlobState) -> dict[str, Any]:
    return {
        "sha256": state.sha256,
        "size": state.size,
        "content_type": state.content_type,
        "offset": state.offset,
        "complete": state.complete,
    }


@blp.route("", methods=["POST"])
@blp.doc(security=BEARER, parameters=VERSION_HEADERS)
@blp.arguments(BlobCreateSchema)
@blp.response(201, BlobStatusSchema, description="New blob: upload from offset 0")
@blp.alt_response(200, schema=BlobStatusSchema, description="Known blob: resume or skip")
@blp.alt_response(422, description="Bad sha256 or size; `errors` names the field")
def announce(args: dict[str, Any]) -> Any:
    """Announce a photo by its SHA-256 and size before uploading it.

    `complete: true` means the server has it already (from any tablet): do not upload.
    Otherwise upload from `offset`.
    """
    device, _versions = sync_device()
    state, created = blob_service.start_upload(
        db_session(),
        _files(),
        args["sha256"],
        args["size"],
        args["content_type"],
        device.commune_id,
    )
    db.session.commit()
    return _state_body(state), 201 if created else 200, _status_headers(state)


@blp.route("/announce", methods=["POST"])
@blp.doc(
    security=BEARER,
    parameters=VERSION_HEADERS,
    requestBody=json_body_doc(
        BlobAnnounceSchema, "The photos to announce. May be sent with `Content-Encoding: gzip`."
    ),
)
@blp.response(200, BlobStatusListSchema, description="One state per photo, in order")
@blp.alt_response(400, description="Malformed gzip or JSON")
@blp.alt_response(413, description="The body, or what it inflates to, is too large")
@blp.alt_response(422, description="A bad item; `errors` names it (`blobs.3.size`)")
def announce_many() -> Any:
    """Announce several photos in one round trip (a sync's pending photos).

    Each item is handled as by `POST /blobs`; the answer lists their states in the
    order given. Nothing is announced if any item is refused.
    """
    device, _versions = sync_device()
    args = load(BlobAnnounceSchema(), read_body())
    session, files = db_session(), _files()
    states = []
    for index, item in enumerate(args["blobs"]):
        try:
            state, _ = blob_service.start_upload(
                session,
                files,
                item["sha256"],
                item["size"],
                item["content_type"],
                device.commune_id,
            )
        except Invalid as error:
            db.session.rollback()
            raise Invalid(
                msg("Ảnh blobs.%(index)s: %(problem)s", index=index, problem=error.message),
                errors={f"blobs.{index}.{key}": value for key, value in error.errors.items()},
            ) from error
        states.append(state)
    db.session.commit()
    return {"blobs": [_state_body(state) for state in states]}


@blp.route("/<string:sha256>")
class BlobResource(MethodView):
    @blp.doc(security=BEARER, parameters=VERSION_HEADERS)
    @blp.response(200, description="`Upload-Offset` and `Upload-Length` headers; no body")
    @blp.alt_response(404, description="Unknown blob")
    def head(self, sha256: str) -> Any:
        """Where the upload of a photo stands (`Upload-Offset`)."""
        device, _versions = sync_device()
        state = blob_service.blob_state(db_session(), _files(), sha256, device.commune_id)
        db.session.commit()
        return Response(status=200, headers=_status_headers(state))

    @blp.doc(
        security=BEARER,
        parameters=[
            *VERSION_HEADERS,
            {
                "in": "header",
                "name": OFFSET_HEADER,
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
                "description": "where this chunk starts; must equal the current offset",
            },
        ],
        requestBody={
            "required": True,
            "content": {CHUNK_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
    )
    @blp.response(204, description="Appended; the new offset is in `Upload-Offset`")
    @blp.alt_response(409, schema=OffsetErrorSchema, description="Wrong offset; the right one")
    @blp.alt_response(413, description="Chunk too large, or past the announced size")
    @blp.alt_response(415, description="Content-Type is not application/offset+octet-stream")
    @blp.alt_response(422, description="Last chunk in, but the SHA-256 differs: bytes discarded")
    def patch(self, sha256: str) -> Any:
        """Append the next chunk of a photo at `Upload-Offset`.

        If the connection is cut in the middle of the chunk, the bytes that arrived are
        kept: ask `HEAD` (or announce again) for the offset before continuing.
        When the last byte arrives the SHA-256 is checked; on mismatch the bytes are
        discarded (422) and the upload starts again at 0.
        """
        device, _versions = sync_device()
        content_type = (request.mimetype or "").lower()
        if content_type != CHUNK_TYPE:
            raise UnsupportedChunkType(
                msg(
                    "Content-Type phải là %(CHUNK_TYPE)s, không phải %(value)s",
                    CHUNK_TYPE=CHUNK_TYPE,
                    value=content_type or "nothing",
                )
            )
        raw_offset = request.headers.get(OFFSET_HEADER, "").strip()
        if not raw_offset.isdigit():
            raise ServiceError(
                msg(
                    "Thiếu hoặc sai tiêu đề %(OFFSET_HEADER)s: %(value)s",
                    OFFSET_HEADER=OFFSET_HEADER,
                    value=repr(raw_offset[:20]),
                )
            )
        chunk, cut = _read_chunk()
        if cut and not chunk:
            raise ClientDisconnected()
        try:
            state = blob_service.append_chunk(
                db_session(), _files(), sha256, int(raw_offset), chunk, device.commune_id
            )
        except blob_service.HashMismatch:
            db.session.commit()  # the upload restarts at 0
            raise
        db.session.commit()
        metrics.PHOTO_BYTES.inc(len(chunk))
        if cut:  # nobody is listening; the bytes that arrived are kept
            current_app.logger.info(
                "blob %s: connection cut, kept %d bytes (upload at %d of %d)",
                sha256[:12],
                len(chunk),
                state.offset,
                state.size,
            )
            raise ClientDisconnected()
        return Response(status=204, headers=_status_headers(state))

    @blp.doc(security=BEARER, parameters=VERSION_HEADERS)
    @blp.response(
        200,
        description="The photo's bytes",
        content_type="application/octet-stream",
    )
    @blp.alt_response(404, description="Unknown, incomplete, or not used in this commune")
    def get(self, sha256: str) -> Any:
        """The bytes of a photo attached to a record of the device's commune."""
        sync_device()
        path, content_type = blob_service.readable_blob(
            db_session(), _files(), sha256, current_scope()
        )
        db.session.commit()
        return send_file(path, mimetype=content_type, max_age=31536000, etag=sha256)
