"""Tests for server.demo: the demo province seeded by ``motcua seed-demo``.

Self-contained on purpose: each seed gets its own in-memory SQLite database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from server import demo_anywhere
from server.auth.passwords import use_fast_hashing_for_tests
from server.demo import DEMO_LOGINS, seed_demo_province
from server.models import (
    AdminUnit,
    Base,
    Device,
    Dossier,
    DossierApology,
    DossierEvent,
    Feedback,
    FormStatus,
    Officer,
    Procedure,
    Role,
    SurveyForm,
    SurveyResponse,
    UnitLevel,
)
from server.services import catalog
from server.services.officers import authenticate
from sync.domain import (
    FEEDBACK_RESPONSE_DAYS,
    OPEN_STATUSES,
    DossierStatus,
    FeedbackStatus,
    can_transition,
    cccd_matches_birth,
    cccd_problem,
    phone_problem,
)
from sync.receipts import parse_receipt_number
from sync.workdays import OFFICE_TZ, add_working_days, is_working_day

TODAY = date(2026, 3, 12)  # a Thursday
LIMIT = datetime.combine(TODAY, time(7, 0), OFFICE_TZ)
PER_COMMUNE = 80

# Used only if the shipped catalog is missing (it is written separately).
FALLBACK_CATALOG: list[dict[str, Any]] = [
    {
        "code": "1.001193",
        "name_vi": "Đăng ký khai sinh",
        "name_en": "Birth registration",
        "field": "ho_tich",
        "processing_days": 0,
        "required_documents": [
            {"name_vi": "Tờ khai", "name_en": "Form", "required": True},
            {"name_vi": "Giấy chứng sinh", "name_en": "Birth certificate", "required": True},
        ],
    },
    {
        "code": "1.004873",
        "name_vi": "Cấp Giấy xác nhận tình trạng hôn nhân",
        "name_en": "Certificate of marital status",
        "field": "ho_tich",
        "processing_days": 3,
        "required_documents": [{"name_vi": "Tờ khai", "name_en": "Form", "required": True}],
    },
    {
        "code": "2.000908",
        "name_vi": "Chứng thực bản sao từ bản chính giấy tờ",
        "name_en": "Certified copy from the original",
        "field": "chung_thuc",
        "processing_days": 0,
        "required_documents": [{"name_vi": "Bản chính", "name_en": "Original", "required": True}],
    },
    {
        "code": "1.001776",
        "name_vi": "Trợ cấp xã hội hằng tháng",
        "name_en": "Monthly social allowance",
        "field": "bao_tro_xa_hoi",
        "processing_days": 10,
        "required_documents": [{"name_vi": "Tờ khai", "name_en": "Form", "required": True}],
    },
]


@dataclass
class Seeded:
    session: Session
    counts: dict[str, int]


@pytest.fixture(scope="module")
def catalog_available() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        if not catalog.DEFAULT_CATALOG.exists():
            mp.setattr(catalog, "read_catalog", lambda *_: FALLBACK_CATALOG)
        yield


def _seed(seed: int, per_commune: int) -> Iterator[Seeded]:
    use_fast_hashing_for_tests()
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = Session(engine)
    try:
        counts = seed_demo_province(
            session, seed=seed, dossiers_per_commune=per_commune, today=TODAY
        )
        session.commit()
        yield Seeded(session, counts)
    finally:
        session.close()
        engine.dispose()


@pytest.fixture(scope="module")
def seeded(catalog_available: None) -> Iterator[Seeded]:
    yield from _seed(2026, PER_COMMUNE)


def _names_and_receipts(seed: int) -> list[tuple[str, str]]:
    for world in _seed(seed, 12):
        rows = world.session.execute(
            select(Dossier.receipt_number, Dossier.applicant_name).order_by(Dossier.receipt_number)
        )
        return [(number, name) for number, name in rows]
    raise AssertionError("unreachable")


def _communes(session: Session) -> list[AdminUnit]:
    return list(session.scalars(select(AdminUnit).where(AdminUnit.level == UnitLevel.COMMUNE)))


def _count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_counts_match_the_database(seeded: Seeded) -> None:
    s, counts = seeded.session, seeded.counts
    assert counts["provinces"] == 1
    assert counts["communes"] == 6
    # and the few filed anywhere in the province (server/demo_anywhere.py)
    assert counts["dossiers"] == _count(s, Dossier) == 6 * PER_COMMUNE + demo_anywhere.DOSSIERS
    assert counts["dossier_events"] == _count(s, DossierEvent)
    assert counts["dossier_apologies"] == _count(s, DossierApology) > 0
    assert counts["feedback"] == _count(s, Feedback)
    assert counts["survey_responses"] == _count(s, SurveyResponse)
    assert counts["officers"] == _count(s, Officer) <= 20
    assert counts["devices"] == _count(s, Device) >= 6
    assert counts["procedures"] == _count(s, Procedure) > 0
    assert counts["villages"] + 7 == _count(s, AdminUnit)


def test_the_province_tree(seeded: Seeded) -> None:
    s = seeded.session
    province = s.scalars(select(AdminUnit).where(AdminUnit.level == UnitLevel.PROVINCE)).one()
    communes = _communes(s)
    assert len(communes) == 6
    assert {c.kind for c in communes} == {"Xã", "Phường"}
    for commune in communes:
        assert commune.parent_id == province.id
        assert commune.code is not None and len(commune.code) == 5 and commune.code.isdigit()
        assert 5 <= len(commune.children) <= 8
        assert all(v.level == UnitLevel.VILLAGE for v in commune.children)
        devices = s.scalars(select(Device).where(Device.commune_id == commune.id)).all()
        assert 1 <= len(devices) <= 2


def test_every_commune_has_overdue_due_today_and_returned_dossiers(seeded: Seeded) -> None:
    s = seeded.session
    for commune in _communes(s):
        dossiers = s.scalars(select(Dossier).where(Dossier.commune_id == commune.id)).all()
        open_ = [d for d in dossiers if d.status in OPEN_STATUSES]
        overdue = [d for d in open_ if d.due_date < TODAY]
        assert len(overdue) >= 0.08 * len(dossiers), commune.name
        assert any(d.due_date == TODAY for d in open_), commune.name
        returned = [d for d in dossiers if d.status == DossierStatus.RESULT_RETURNED]
        assert len(returned) > len(dossiers) / 2
        late = [
            d
            for d in returned
            if d.result_returned_at is not None
            and d.result_returned_at.astimezone(OFFICE_TZ).date() > d.due_date
        ]
        assert late, commune.name


def test_timelines_follow_the_state_machine(seeded: Seeded) -> None:
    s = seeded.session
    reached: set[str] = set()
    events_by_dossier: dict[str, list[DossierEvent]] = defaultdict(list)
    for event in s.scalars(select(DossierEvent).order_by(DossierEvent.occurred_at)):
        events_by_dossier[event.dossier_id].append(event)
    for dossier in s.scalars(select(Dossier)):
        events = events_by_dossier[dossier.id]
        first, *changes = events
        assert first.kind == "received"
        assert first.to_status == DossierStatus.RECEIVED.value
        assert first.occurred_at == dossier.received_at
        status = DossierStatus.RECEIVED
        previous = dossier.received_at
        for event in changes:
            if event.kind == "handed_over":  # filed anywhere (server/demo_anywhere.py)
                continue
            assert event.kind == "status_changed"
            assert event.from_status == status.value
            assert event.to_status is not None
            new = DossierStatus(event.to_status)
            assert can_transition(status, new), (dossier.receipt_number, status, new)
            assert previous <= event.occurred_at < LIMIT
            assert event.officer_id is not None
            assert event.commune_id == dossier.commune_id
            status, previous = new, event.occurred_at
            reached.add(new.value)
        assert status == dossier.status
        returned = dossier.status == DossierStatus.RESULT_RETURNED
        assert (dossier.result_returned_at is not None) == returned
        if returned:
            assert dossier.result_returned_at == previous
    assert reached == {s.value for s in DossierStatus} - {DossierStatus.RECEIVED.value}


def test_receipt_numbers_are_unique_and_well_formed(seeded: Seeded) -> None:
    s = seeded.session
    codes = {c.id: c.code for c in _communes(s)}
    rows = s.execute(select(Dossier.receipt_number, Dossier.commune_id)).all()
    numbers = [number for number, _ in rows]
    assert len(set(numbers)) == len(numbers)
    for number, commune_id in rows:
        parsed = parse_receipt_number(number)
        assert parsed is not None
        assert parsed[0] == codes[commune_id]


def test_applicants_are_plausible(seeded: Seeded) -> None:
    s = seeded.session
    for dossier in s.scalars(select(Dossier)):
        assert dossier.applicant_name.strip()
        if dossier.applicant_cccd is not None:
            assert cccd_problem(dossier.applicant_cccd) is None
            assert dossier.applicant_dob is not None
            assert cccd_matches_birth(dossier.applicant_cccd, dossier.applicant_dob)
        if dossier.applicant_phone is not None:
            assert phone_problem(dossier.applicant_phone) is None
        assert dossier.village is not None
        assert dossier.village.parent_id == dossier.commune_id
        assert dossier.received_at < LIMIT


def test_apologies_give_a_later_working_day(seeded: Seeded) -> None:
    for apology in seeded.session.scalars(select(DossierApology)):
        dossier = apology.dossier
        assert apology.new_due_date > dossier.due_date
        assert is_working_day(apology.new_due_date)
        assert dossier.received_at < apology.issued_at < LIMIT
        assert apology.reason
        assert apology.commune_id == dossier.commune_id


def test_every_record_is_stamped(seeded: Seeded) -> None:
    s = seeded.session
    for model in (Dossier, DossierEvent, DossierApology, Feedback, SurveyResponse):
        rows = s.execute(select(model.commune_id, model.seq)).all()
        assert rows, model.__name__
        assert all(seq > 0 for _, seq in rows), model.__name__
        per_commune = Counter(rows)
        assert max(per_commune.values()) == 1, model.__name__
    for global_model in (AdminUnit, Procedure, SurveyForm):
        seqs = s.scalars(select(global_model.seq)).all()
        assert all(seq > 0 for seq in seqs), global_model.__name__
        assert len(set(seqs)) == len(seqs), global_model.__name__


def test_dossiers_are_restamped_after_their_last_change(seeded: Seeded) -> None:
    s = seeded.session
    last_child: dict[str, int] = defaultdict(int)
    for model in (DossierEvent, DossierApology):
        for dossier_id, seq in s.execute(select(model.dossier_id, model.seq)):
            last_child[dossier_id] = max(last_child[dossier_id], seq)
    # A handover writes the dossier's settling commune, then its event (after it).
    for dossier_id, seq in s.execute(
        select(DossierEvent.dossier_id, DossierEvent.seq).where(DossierEvent.kind == "handed_over")
    ):
        if last_child[dossier_id] == seq:
            last_child[dossier_id] = 0
    for dossier_id, seq in s.execute(select(Dossier.id, Dossier.seq)):
        changed = s.scalar(
            select(func.count())
            .select_from(DossierEvent)
            .where(DossierEvent.dossier_id == dossier_id, DossierEvent.kind != "received")
        )
        if changed:
            assert seq > last_child[dossier_id]


def test_feedback_workflow(seeded: Seeded) -> None:
    s = seeded.session
    feedback = s.scalars(select(Feedback)).all()
    assert {f.kind for f in feedback} == set(FEEDBACK_RESPONSE_DAYS)
    assert {f.status for f in feedback} == set(FeedbackStatus)
    assert any(f.anonymous for f in feedback)
    assert any(f.dossier_id for f in feedback)
    for commune in _communes(s):
        assert 10 <= sum(f.commune_id == commune.id for f in feedback) <= 20
    for item in feedback:
        days = FEEDBACK_RESPONSE_DAYS[item.kind]
        received_day = item.received_at.astimezone(OFFICE_TZ).date()
        expected = None if days is None else add_working_days(received_day, days)
        assert item.response_due_date == expected
        if item.anonymous:
            assert item.citizen_name is None and item.citizen_phone is None
        if item.answered_at is not None:
            assert item.response
            assert item.received_at < item.answered_at < LIMIT
            assert item.status in (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED)
        if item.status == FeedbackStatus.FORWARDED:
            assert item.forwarded_to


def test_survey_form_and_responses(seeded: Seeded) -> None:
    s = seeded.session
    form = s.scalars(select(SurveyForm)).one()
    # The default form: the five elements of Decision 1001/QĐ-BNV.
    key = ("hai-long-qd-1001-bnv", 1, FormStatus.PUBLISHED)
    assert (form.key, form.version, form.status) == key
    assert len(form.communes) == 6
    assert len(form.questions) == 14
    types = Counter(q["type"] for q in form.questions)
    assert types["likert5"] == 9 and types["yes_no"] == 1
    assert types["single_choice"] == 1 and types["text"] == 3
    indexed = {q["element"]: q["id"] for q in form.questions if q.get("index")}
    assert set(indexed) == {"access", "procedure", "officer", "result", "feedback"}
    ids = {q["id"] for q in form.questions}
    assert len(ids) == 14
    # Asked of everybody; the feedback element only of those who gave feedback.
    likert = {
        q["id"] for q in form.questions if q["type"] == "likert5" and q["element"] != "feedback"
    }
    responses = s.scalars(select(SurveyResponse)).all()
    village_commune = dict(
        s.execute(
            select(AdminUnit.id, AdminUnit.parent_id).where(AdminUnit.level == UnitLevel.VILLAGE)
        ).all()
    )
    assert form.published_at is not None
    scores: list[int] = []
    for response in responses:
        assert set(response.answers) <= ids
        assert form.published_at < response.collected_at < LIMIT
        assert response.village_id is not None
        assert village_commune[response.village_id] == response.commune_id
        scores += [response.answers[q] for q in likert]
    for commune in _communes(s):
        assert 30 <= sum(r.commune_id == commune.id for r in responses) <= 50
    satisfied = sum(score >= 4 for score in scores) / len(scores)
    assert 0.88 <= satisfied <= 0.98


def test_demo_logins_authenticate(seeded: Seeded) -> None:
    s = seeded.session
    roles: Counter[Role] = Counter()
    for username, password, description in DEMO_LOGINS:
        assert len(password) >= 8
        assert description
        officer = authenticate(s, username, password)
        assert officer is not None, username
        roles[officer.role] += 1
    s.rollback()
    assert roles[Role.SYSTEM_ADMIN] >= 1
    assert roles[Role.PROVINCE_ADMIN] >= 1
    assert roles[Role.COMMUNE_LEADER] >= 2
    assert roles[Role.OFFICER] >= 2


def test_same_seed_same_data(catalog_available: None) -> None:
    first = _names_and_receipts(7)
    assert len(first) == 6 * 12 + demo_anywhere.DOSSIERS
    assert _names_and_receipts(7) == first
    assert _names_and_receipts(8) != first
