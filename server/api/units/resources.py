"""The calling tablet's commune and its villages."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import select

from server.api.common import BEARER
from server.auth.context import current_device
from server.extensions import db
from server.models import AdminUnit, UnitLevel

blp = Blueprint("units", __name__, url_prefix="villages", description="Villages")


class VillageSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    code = ma.fields.String(allow_none=True)


@blp.route("")
@blp.doc(security=BEARER)
@blp.response(200, VillageSchema(many=True))
def list_villages() -> Any:
    """Villages (thôn, bản, tổ dân phố) of the device's commune."""
    device = current_device()
    return db.session.scalars(
        select(AdminUnit)
        .where(AdminUnit.parent_id == device.commune_id, AdminUnit.level == UnitLevel.VILLAGE)
        .order_by(AdminUnit.name)
    ).all()
