"""Push and pull bodies (PROTOCOL.md §6, §7). Single-letter keys: bytes count on 2G."""

from __future__ import annotations

import marshmallow as ma

from server.api.common import StrictSchema

#: The most operations one push may carry (a client sends larger outboxes in several).
MAX_OPS_PER_PUSH = 5000


class OperationSchema(ma.Schema):
    i = ma.fields.String(required=True, metadata={"description": "operation id (UUIDv7)"})
    c = ma.fields.String(required=True, metadata={"description": "collection"})
    r = ma.fields.String(required=True, metadata={"description": "record id (UUIDv7)"})
    t = ma.fields.String(required=True, metadata={"description": "HLC stamp of the write"})
    n = ma.fields.Integer(metadata={"description": "1 when the operation creates the record"})
    f = ma.fields.Dict(required=True, metadata={"description": "field → new value"})
    b = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"description": "field → clock the device had when the officer edited it"},
    )


class PushRequestSchema(StrictSchema):
    now = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=0),
        metadata={"description": "the device's uncorrected clock, ms since the epoch"},
    )
    ops = ma.fields.List(
        ma.fields.Raw(metadata={"type": "object"}),
        required=True,
        validate=ma.validate.Length(max=MAX_OPS_PER_PUSH),
        metadata={"description": "operations, in the order they were recorded"},
    )


class PushRequestDocSchema(ma.Schema):
    """The request as documented (``ops`` items are operations)."""

    now = ma.fields.Integer(required=True)
    ops = ma.fields.List(ma.fields.Nested(OperationSchema), required=True)


class OutcomeSchema(ma.Schema):
    i = ma.fields.String(metadata={"description": "operation id"})
    o = ma.fields.String(metadata={"description": "applied, merged, conflict or rejected"})
    s = ma.fields.Integer(metadata={"description": "the record's sequence number after it"})
    r = ma.fields.String(metadata={"description": "machine reason of a rejection"})
    m = ma.fields.String(metadata={"description": "message for the officer (vi, then en)"})
    e = ma.fields.Dict(metadata={"description": "field → message"})
    x = ma.fields.List(ma.fields.String(), metadata={"description": "conflict record ids"})
    t = ma.fields.String(metadata={"description": "the server's re-stamp of the write"})


class PushResponseSchema(ma.Schema):
    now = ma.fields.Integer(metadata={"description": "server clock, ms since the epoch"})
    skew = ma.fields.Integer(metadata={"description": "device clock minus server clock, ms"})
    results = ma.fields.List(ma.fields.Nested(OutcomeSchema))


class PullRequestSchema(StrictSchema):
    cursor = ma.fields.String(
        load_default="",
        allow_none=True,
        validate=ma.validate.Length(max=40),
        metadata={"description": "opaque cursor from the last page applied; empty = start"},
    )
    budget = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "about how many bytes to send (clamped to 4 KiB–4 MiB)"},
    )


class ChangeSchema(ma.Schema):
    c = ma.fields.String(metadata={"description": "collection"})
    r = ma.fields.String(metadata={"description": "record id"})
    s = ma.fields.Integer(metadata={"description": "sequence number in its scope"})
    f = ma.fields.Dict(metadata={"description": "fields changed since the cursor"})
    k = ma.fields.Dict(metadata={"description": "their clocks (commune records only)"})
    d = ma.fields.Integer(metadata={"description": "1 if the record is deleted"})


class PullResponseSchema(ma.Schema):
    now = ma.fields.Integer()
    cursor = ma.fields.String()
    more = ma.fields.Boolean()
    changes = ma.fields.List(ma.fields.Nested(ChangeSchema))
    e = ma.fields.String(
        metadata={"description": "the server's epoch: a new one means it was restored (§12)"}
    )


class UpgradeRequiredSchema(ma.Schema):
    code = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "upgrade_required"})
    message = ma.fields.String()
    min_app = ma.fields.String(metadata={"description": "the oldest app version served"})
