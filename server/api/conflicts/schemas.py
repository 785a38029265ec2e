"""Conflict records and their resolution."""

from __future__ import annotations

import marshmallow as ma

from server.api.common import PageArgs, StrictSchema, page_envelope
from sync.domain import ConflictResolution, ConflictStatus


class ConflictListArgs(PageArgs):
    status = ma.fields.Enum(ConflictStatus, by_value=True, load_default=None)


class ConflictSchema(ma.Schema):
    id = ma.fields.String()
    commune_id = ma.fields.Integer()
    collection = ma.fields.String()
    record_id = ma.fields.String()
    field = ma.fields.String()
    reason = ma.fields.String(
        metadata={"description": "concurrent_edit, stale_status or server_value"}
    )
    kept_value = ma.fields.Raw(allow_none=True)
    kept_clock = ma.fields.String()
    kept_device_id = ma.fields.String(allow_none=True)
    lost_value = ma.fields.Raw(allow_none=True)
    lost_clock = ma.fields.String()
    lost_device_id = ma.fields.String(allow_none=True)
    lost_officer_id = ma.fields.Integer(allow_none=True)
    kept_officer_name = ma.fields.String(allow_none=True)
    lost_officer_name = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "open or resolved"})
    resolution = ma.fields.String(allow_none=True)
    resolved_by_id = ma.fields.Integer(allow_none=True)
    resolved_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    seq = ma.fields.Integer()


class ResolveSchema(StrictSchema):
    choice = ma.fields.Enum(
        ConflictResolution,
        by_value=True,
        required=True,
        metadata={
            "description": "kept: the merge's choice stands; overturned: put the lost value "
            "back; edited: write `value`"
        },
    )
    value = ma.fields.Raw(
        allow_none=True, metadata={"description": "the new value, only with choice 'edited'"}
    )


ConflictPageSchema = page_envelope(ConflictSchema)
