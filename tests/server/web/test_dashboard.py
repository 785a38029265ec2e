"""Dashboards: figures per commune and across the province, filters, charts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import (
    CommentStatus,
    Feedback,
    FormStatus,
    ServiceRating,
    SurveyForm,
    SurveyResponse,
    SyncConflict,
)
from server.scoping import Scope, scope_for_officer
from server.services import reports
from server.services.changes import stamp, stamp_global
from server.services.errors import Invalid, NotFound
from sync.domain import Channel, DossierStatus, FeedbackKind, FeedbackStatus
from sync.ids import new_id
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import log_in, overdue_dossier, working_days_ago


def _response(session: Session, form: SurveyForm, commune_id: int, answers: dict[str, Any]) -> None:
    response = SurveyResponse(
        id=new_id(),
        commune_id=commune_id,
        form_id=form.id,
        collected_at=datetime.now(UTC) - timedelta(hours=2),
        answers=answers,
    )
    session.add(response)
    stamp(session, response)


@pytest.fixture
def figures(world: World, session: Session) -> dict[str, Any]:
    """Commune A: 4 dossiers (1 on time, 1 late, 1 overdue, 1 open), B: 1 dossier."""
    on_time = add_dossier(session, world.a, world.procedure, received_at=working_days_ago(6))
    on_time.status = DossierStatus.RESULT_RETURNED
    on_time.result_returned_at = on_time.received_at + timedelta(days=1)
    late = add_dossier(session, world.a, world.procedure, received_at=working_days_ago(10))
    late.status = DossierStatus.RESULT_RETURNED
    late.result_returned_at = datetime.now(UTC) - timedelta(hours=1)
    overdue = overdue_dossier(session, world.a, world.procedure)
    add_dossier(session, world.a, world.procedure)
    add_dossier(session, world.b, world.procedure)

    form = SurveyForm(
        key="hai-long",
        title_vi="Khảo sát",
        title_en="Survey",
        status=FormStatus.PUBLISHED,
        questions=[
            {"id": "q1", "type": "likert5"},
            {"id": "q2", "type": "likert5"},
            {"id": "q3", "type": "yes_no"},
        ],
    )
    session.add(form)
    session.flush()
    stamp_global(session, form)
    _response(session, form, world.a.commune.id, {"q1": 5, "q2": 4, "q3": True})
    _response(session, form, world.a.commune.id, {"q1": 3, "q2": 5, "q3": 2})
    _response(session, form, world.a.commune.id, {"q1": "5", "q2": True})  # no valid answer
    _response(session, form, world.b.commune.id, {"q1": 1, "q2": 1})

    received = working_days_ago(4)
    answered = Feedback(
        id=new_id(),
        commune_id=world.a.commune.id,
        kind=FeedbackKind.REPORT,
        content="Đường sạt lở",
        channel=Channel.COUNTER,
        received_at=received,
        status=FeedbackStatus.ANSWERED,
        answered_at=datetime.now(UTC),
        response="Đã sửa",
    )
    still_open = Feedback(
        id=new_id(),
        commune_id=world.a.commune.id,
        kind=FeedbackKind.COMPLAINT,
        content="Chưa trả kết quả đúng hẹn",
        channel=Channel.ONLINE,
        received_at=received,
        status=FeedbackStatus.NEW,
    )
    for item in (answered, still_open):
        session.add(item)
        stamp(session, item)

    conflict = SyncConflict(
        id=new_id(),
        commune_id=world.a.commune.id,
        collection="dossier",
        record_id=overdue.id,
        field="note",
        reason="concurrent_edit",
        kept_value="a",
        kept_clock="1",
        lost_value="b",
        lost_clock="0",
        lost_device_id=world.a.device.id,
    )
    session.add(conflict)
    stamp(session, conflict)
    session.add(
        ServiceRating(
            commune_id=world.a.commune.id,
            dossier_id=overdue.id,
            stars=4,
            comment="Tốt lắm",
            comment_status=CommentStatus.APPROVED,
        )
    )
    world.a.device.last_sync_at = datetime.now(UTC) - timedelta(hours=3)
    session.commit()
    return {"overdue": overdue, "form": form}


def test_commune_figures(world: World, session: Session, figures: dict[str, Any]) -> None:
    scope = scope_for_officer(session, world.a.leader)
    now = datetime.now(UTC)
    period = reports.resolve_period(None, None, None, today=reports.office_today(now))
    data = reports.dashboard(session, scope, period, now=now)
    t = data.dossiers.total
    assert (t.received, t.returned, t.on_time, t.overdue) == (4, 2, 1, 2)
    assert t.on_time_rate == 0.5
    assert data.dossiers.overdue_now == 1
    assert sum(m.counts.received for m in data.dossiers.by_month) == 4
    assert len(data.dossiers.by_month) == 6
    [top] = data.dossiers.top_procedures
    assert (top.code, top.counts.received) == (world.procedure.code, 4)

    assert (data.satisfaction.total.satisfied, data.satisfaction.total.answers) == (3, 4)
    assert data.satisfaction.total.rate == 0.75
    assert data.satisfaction.total.responses == 2
    assert [c.short_name for c in data.satisfaction.by_commune] == [world.a.commune.name]

    f = data.feedback
    assert (f.received, f.open, f.answered) == (2, 1, 1)
    assert f.average_answer_days == 4
    assert [item.content for item in f.recent_open] == ["Chưa trả kết quả đúng hẹn"]

    assert data.ratings.count == 1
    assert data.ratings.average == 4
    assert data.sync.open_conflicts == 1
    [device] = data.sync.devices
    assert device.device_id == world.a.device.id
    assert device.open_conflicts == 1
    assert not device.stale
    assert not device.revoked


def test_province_figures_and_commune_filter(
    world: World, session: Session, figures: dict[str, Any]
) -> None:
    scope = scope_for_officer(session, world.province_admin)
    now = datetime.now(UTC)
    period = reports.resolve_period(None, None, None, today=reports.office_today(now))
    everything = reports.dashboard(session, scope, period, now=now)
    assert everything.dossiers.total.received == 5
    assert everything.satisfaction.total.answers == 6
    assert len(everything.satisfaction.by_commune) == 2
    assert len(everything.sync.devices) == 2
    only_b = reports.dashboard(session, scope, period, now=now, commune_id=world.b.commune.id)
    assert only_b.dossiers.total.received == 1
    assert only_b.satisfaction.total.rate == 0
    other_procedure = reports.dashboard(session, scope, period, now=now, procedure_id=999999)
    assert other_procedure.dossiers.total.received == 0
    leader = scope_for_officer(session, world.a.leader)
    with pytest.raises(NotFound):
        reports.dashboard(session, leader, period, now=now, commune_id=world.b.commune.id)


def test_periods() -> None:
    today = date(2026, 3, 18)
    assert reports.resolve_period("this_month", None, None, today=today) == reports.Period(
        "this_month", date(2026, 3, 1), today
    )
    six = reports.resolve_period(None, None, None, today=today)
    assert (six.start, six.end) == (date(2025, 10, 1), today)
    assert len(six.months()) == 6
    custom = reports.resolve_period("custom", date(2025, 12, 30), date(2026, 1, 2), today=today)
    assert custom.months() == [(2025, 12), (2026, 1)]
    for start, end in ((None, today), (today, date(2026, 1, 1)), (date(2020, 1, 1), today)):
        with pytest.raises(Invalid):
            reports.resolve_period("custom", start, end, today=today)


def test_empty_scope_has_no_figures(session: Session, world: World) -> None:
    now = datetime.now(UTC)
    period = reports.resolve_period("this_month", None, None, today=reports.office_today(now))
    data = reports.dashboard(session, Scope(frozenset()), period, now=now)
    assert data.dossiers.total.received == 0
    assert data.satisfaction.total.rate is None
    assert data.sync.devices == []


def test_dashboard_page_for_a_leader(
    client: FlaskClient, world: World, figures: dict[str, Any], session: Session
) -> None:
    unread = add_dossier(session, world.a, world.procedure)
    session.add(
        ServiceRating(
            commune_id=world.a.commune.id, dossier_id=unread.id, stars=1, comment="Chưa ai đọc"
        )
    )
    session.commit()
    log_in(client, world.a.leader)
    response = client.get("/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('class="pygal-chart"') == 3
    assert "<script" not in html
    assert "75 %" in html  # satisfaction of commune A
    assert "Tốt lắm" in html  # the rating's approved comment
    assert "Chưa ai đọc" not in html  # a comment waiting for approval (issue 10 §12)
    assert "1 góp ý chờ duyệt" in html
    assert "Chưa trả kết quả đúng hẹn" in html  # open feedback
    assert world.a.device.name in html
    assert world.b.commune.name not in html
    assert 'name="commune"' not in html  # nothing to choose from


def test_dashboard_page_filters(client: FlaskClient, world: World, figures: dict[str, Any]) -> None:
    log_in(client, world.province_admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert world.b.commune.name in html
    assert 'name="commune"' in html
    for args in (
        {"period": "this_month"},
        {"period": "custom", "from": "2026-01-01", "to": "2026-03-31"},
        {"commune": str(world.b.commune.id), "procedure": str(world.procedure.id)},
    ):
        assert client.get("/dashboard", query_string=args).status_code == 200, args
    bad = client.get("/dashboard", query_string={"period": "custom", "from": "2026-03-01"})
    assert bad.status_code == 200
    assert "Chọn ngày bắt đầu và ngày kết thúc" in bad.get_data(as_text=True)
