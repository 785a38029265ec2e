from __future__ import annotations

import marshmallow as ma


class RequiredDocumentSchema(ma.Schema):
    name_vi = ma.fields.String()
    name_en = ma.fields.String()
    required = ma.fields.Boolean()


class ProcedureSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name_vi = ma.fields.String()
    name_en = ma.fields.String()
    field = ma.fields.String()
    processing_days = ma.fields.Integer()
    extension_days = ma.fields.Integer()
    extension_when_vi = ma.fields.String()
    extension_when_en = ma.fields.String()
    required_documents = ma.fields.List(ma.fields.Nested(RequiredDocumentSchema))
    fee_vnd = ma.fields.Integer()
    fee_note_vi = ma.fields.String()
    fee_note_en = ma.fields.String()
    legal_basis = ma.fields.String()
    result_vi = ma.fields.String()
    result_en = ma.fields.String()
    form = ma.fields.Dict(metadata={"description": "parties and facts of an intake (sync.forms)"})
