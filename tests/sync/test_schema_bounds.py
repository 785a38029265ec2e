"""Lower bounds of dates and date-times (sync/schema.py, PROTOCOL.md §4).

Events recorded by this system (receipts, timeline entries, answers, surveys) happen in
2000 or later: a date-time before 2000-01-01 is a typing or clock error and is refused
with a message naming the field. Birth dates go back to 1900-01-01.
"""

from __future__ import annotations

import pytest

from sync.merge import Accepted, Refused, plan_operation
from sync.ops import Reason
from sync.schema import COLLECTIONS, DOSSIER
from tests.sync.test_merge import NEW_DOSSIER, op

#: Every date-time field of every collection, found by its checker's answers.
DATETIME_FIELDS = [
    (collection.name, name)
    for collection in COLLECTIONS.values()
    for name, spec in collection.fields.items()
    if spec.check("2026-02-12T02:00:00+00:00") is None and spec.check("2026-02-12") is not None
]


def test_every_event_time_field_is_found() -> None:
    assert ("dossier", "received_at") in DATETIME_FIELDS
    assert ("dossier_event", "occurred_at") in DATETIME_FIELDS
    assert len(DATETIME_FIELDS) >= 6


@pytest.mark.parametrize(("collection", "name"), DATETIME_FIELDS)
def test_event_times_before_2000_are_refused(collection: str, name: str) -> None:
    check = COLLECTIONS[collection].fields[name].check
    assert check("2000-01-01T00:00:00+00:00") is None
    assert check("2000-01-01T07:00:00+07:00") is None
    message = check("1999-12-31T23:59:59+00:00")
    assert message is not None and "2000-01-01" in message
    assert check("1970-01-01T00:00:00+00:00") is not None
    assert check("0001-01-01T00:00:00+00:00") is not None


def test_a_dossier_received_in_1999_is_refused_naming_the_field() -> None:
    fields = {**NEW_DOSSIER, "received_at": "1999-12-31T23:59:59+00:00"}
    plan = plan_operation(DOSSIER, None, op(fields, "000000001000a", create=True))
    assert isinstance(plan, Refused)
    assert plan.reason is Reason.INVALID
    assert set(plan.errors) == {"received_at"}
    fields["received_at"] = "2000-01-01T00:00:00+00:00"
    assert isinstance(plan_operation(DOSSIER, None, op(fields, "1a", create=True)), Accepted)


def test_birth_dates_go_back_to_1900() -> None:
    check = DOSSIER.fields["applicant_dob"].check
    assert check("1900-01-01") is None
    message = check("1899-12-31")
    assert message is not None and "1900-01-01" in message
