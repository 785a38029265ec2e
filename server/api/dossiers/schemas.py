from __future__ import annotations

import marshmallow as ma

from server.api.common import PageArgs, StrictSchema, page_envelope
from sync.domain import Channel, DossierStatus
from sync.schema import INT_MAX


class ApplicantInSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    cccd = ma.fields.String(load_default=None, validate=ma.validate.Length(max=12))
    dob = ma.fields.Date(load_default=None)
    phone = ma.fields.String(load_default=None, validate=ma.validate.Length(max=20))
    address = ma.fields.String(load_default=None, validate=ma.validate.Length(max=300))


class DossierCreateSchema(StrictSchema):
    procedure_id = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=INT_MAX))
    applicant = ma.fields.Nested(ApplicantInSchema, required=True)
    channel = ma.fields.Enum(Channel, by_value=True, load_default=Channel.COUNTER)
    village_id = ma.fields.Integer(
        load_default=None, validate=ma.validate.Range(min=1, max=INT_MAX)
    )
    received_at = ma.fields.AwareDateTime(load_default=None)
    provided_documents = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=0, max=100)), load_default=list
    )
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    # The procedure's form (sync.forms; GET /catalog… ``form``): checked field by field,
    # a 422 names each as ``parties.<role>.<key>`` / ``facts.<key>``.
    parties = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(max=40)),
        values=ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(max=40))),
        load_default=dict,
        validate=ma.validate.Length(max=8),
    )
    facts = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(max=40)),
        load_default=dict,
        validate=ma.validate.Length(max=12),
    )
    verification_needed = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Verification needed (the extension of the procedure applies)"},
    )
    settling_commune_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "The commune competent to settle it when not this one (a "
            "procedure receivable anywhere in the province, Decree 118/2025/NĐ-CP)"
        },
    )
    return_commune_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Where the result is returned: this or the settling commune"},
    )


class DossierListArgs(PageArgs):
    status = ma.fields.Enum(DossierStatus, by_value=True, load_default=None)
    overdue = ma.fields.Boolean(load_default=False)
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=120))


class DocumentItemSchema(ma.Schema):
    name_vi = ma.fields.String()
    name_en = ma.fields.String()
    required = ma.fields.Boolean()
    provided = ma.fields.Boolean()


class DossierSchema(ma.Schema):
    id = ma.fields.String()
    commune_id = ma.fields.Integer(metadata={"description": "The receiving commune"})
    settling_commune_id = ma.fields.Integer()
    return_commune_id = ma.fields.Integer()
    receipt_number = ma.fields.String()
    procedure_id = ma.fields.Integer()
    procedure_code = ma.fields.String(attribute="procedure.code")
    procedure_name = ma.fields.String(attribute="procedure.name_vi")
    applicant_name = ma.fields.String()
    applicant_cccd = ma.fields.String(allow_none=True)
    applicant_dob = ma.fields.Date(allow_none=True)
    applicant_phone = ma.fields.String(allow_none=True)
    applicant_address = ma.fields.String(allow_none=True)
    village_id = ma.fields.Integer(allow_none=True)
    channel = ma.fields.Enum(Channel, by_value=True)
    received_at = ma.fields.AwareDateTime()
    due_date = ma.fields.Date()
    verification_needed = ma.fields.Boolean()
    verification_due_date = ma.fields.Date(allow_none=True)
    effective_due_date = ma.fields.Date(
        metadata={"description": "The due date that applies (the longer one with verification)"}
    )
    status = ma.fields.Enum(DossierStatus, by_value=True)
    handler_id = ma.fields.Integer(allow_none=True)
    documents = ma.fields.List(ma.fields.Nested(DocumentItemSchema))
    note = ma.fields.String()
    result_returned_at = ma.fields.AwareDateTime(allow_none=True)
    parties = ma.fields.Dict()
    facts = ma.fields.Dict()
    seq = ma.fields.Integer()


class EventSchema(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String()
    occurred_at = ma.fields.AwareDateTime()
    officer_id = ma.fields.Integer(allow_none=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(allow_none=True)
    note = ma.fields.String()


class ApologySchema(ma.Schema):
    id = ma.fields.String()
    reason = ma.fields.String()
    new_due_date = ma.fields.Date()
    issued_at = ma.fields.AwareDateTime()


class DossierDetailSchema(DossierSchema):
    events = ma.fields.List(ma.fields.Nested(EventSchema))
    apologies = ma.fields.List(ma.fields.Nested(ApologySchema))


DossierPageSchema = page_envelope(DossierSchema)
