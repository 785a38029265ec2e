"""Pieces shared by the API resources: pagination, auth docs, base schema."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

BEARER: list[dict[str, list[Any]]] = [{"deviceToken": []}]


class StrictSchema(ma.Schema):
    """Input schema that refuses unknown fields, naming them."""

    class Meta:
        unknown = ma.RAISE


class PageArgs(StrictSchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))


def page_envelope(items_schema: type[ma.Schema]) -> type[ma.Schema]:
    class Page(ma.Schema):
        items = ma.fields.List(ma.fields.Nested(items_schema))
        total = ma.fields.Integer()
        page = ma.fields.Integer()
        per_page = ma.fields.Integer()

    Page.__name__ = f"{items_schema.__name__.removesuffix('Schema')}PageSchema"
    return Page
