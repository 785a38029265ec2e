"""Photo upload bodies (PROTOCOL.md §8)."""

from __future__ import annotations

import marshmallow as ma

from server.api.common import StrictSchema


class BlobCreateSchema(StrictSchema):
    sha256 = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^[0-9a-f]{64}$", error="must be 64 lowercase hex digits"),
        metadata={"description": "SHA-256 of the whole file, lowercase hex"},
    )
    size = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1),
        metadata={"description": "bytes"},
    )
    content_type = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=80),
        metadata={"description": "e.g. image/jpeg"},
    )


#: The most photos one announcement may name.
MAX_ANNOUNCED = 500


class BlobAnnounceSchema(StrictSchema):
    blobs = ma.fields.List(
        ma.fields.Nested(BlobCreateSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_ANNOUNCED),
        metadata={"description": f"1 to {MAX_ANNOUNCED} photos, as for a single announcement"},
    )


class BlobStatusSchema(ma.Schema):
    sha256 = ma.fields.String()
    size = ma.fields.Integer()
    content_type = ma.fields.String()
    offset = ma.fields.Integer(metadata={"description": "bytes received so far"})
    complete = ma.fields.Boolean(metadata={"description": "received and verified"})


class OffsetErrorSchema(ma.Schema):
    code = ma.fields.Integer()
    status = ma.fields.String()
    message = ma.fields.String()
    offset = ma.fields.Integer(metadata={"description": "where the upload stands"})


class BlobStatusListSchema(ma.Schema):
    blobs = ma.fields.List(
        ma.fields.Nested(BlobStatusSchema),
        metadata={"description": "one state per announced photo, in the same order"},
    )
