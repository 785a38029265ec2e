from __future__ import annotations

import marshmallow as ma

from server.api.common import StrictSchema
from server.models import Role


class RegisterDeviceSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=256)
    )
    device_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    app_version = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))


class CommuneRefSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()


class OfficerRefSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    full_name = ma.fields.String()
    role = ma.fields.Enum(Role, by_value=True)


class DeviceSchema(ma.Schema):
    id = ma.fields.String()
    device_no = ma.fields.Integer()
    name = ma.fields.String()
    app_version = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    last_seen_at = ma.fields.AwareDateTime(allow_none=True)
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    commune = ma.fields.Nested(CommuneRefSchema)
    officer = ma.fields.Nested(OfficerRefSchema)


class RegisteredDeviceSchema(ma.Schema):
    device = ma.fields.Nested(DeviceSchema)
    token = ma.fields.String(
        metadata={"description": "Bearer token; shown only once, keep it on the device."}
    )


class RecoveryIdSchema(ma.Schema):
    secret_id = ma.fields.String(
        allow_none=True,
        metadata={"description": "Id of the tablet's confirmed recovery secret (null: none)."},
    )


class RecoverySecretSchema(ma.Schema):
    secret_id = ma.fields.String()
    secret = ma.fields.String(metadata={"description": "32 random bytes, base64url."})


class ConfirmRecoverySchema(StrictSchema):
    secret_id = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^[0-9a-f]{32}$", error="32 hexadecimal digits"),
    )


class ClaimRecoverySchema(StrictSchema):
    device_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=36))
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=256)
    )
