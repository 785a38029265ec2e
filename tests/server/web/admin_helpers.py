"""Data for the feedback, survey, conflict and management page tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import Feedback, FormStatus, SurveyForm, SurveyResponse
from server.services.changes import stamp, stamp_global
from sync.domain import Channel, FeedbackKind, FeedbackStatus
from sync.ids import new_id
from sync.workdays import add_working_days
from tests import factories
from tests.server.conftest import CommuneKit, World
from tests.server.sync.conftest import FlaskHttp, Tablet, make_tablet
from tests.server.web.helpers import working_days_ago

QUESTIONS: list[dict[str, Any]] = [
    {"id": "q1", "type": "likert5", "text_vi": "Hài lòng chung", "text_en": "Overall"},
    {"id": "q2", "type": "yes_no", "text_vi": "Đi lại nhiều lần?", "text_en": "Came back?"},
    {
        "id": "q3",
        "type": "single_choice",
        "text_vi": "Ngôn ngữ",
        "text_en": "Language",
        "options": [
            {"value": "vi", "label_vi": "Tiếng Việt", "label_en": "Vietnamese"},
            {"value": "hmn", "label_vi": "Tiếng Mông", "label_en": "Hmong"},
        ],
    },
    {
        "id": "q4",
        "type": "multiple_choice",
        "text_vi": "Kênh thông tin",
        "text_en": "Channels",
        "options": [
            {"value": "loa", "label_vi": "Loa", "label_en": "Loudspeaker"},
            {"value": "zalo", "label_vi": "Zalo", "label_en": "Zalo"},
        ],
    },
    {"id": "q5", "type": "number", "text_vi": "Số lần đến", "text_en": "Visits"},
    {"id": "q6", "type": "text", "text_vi": "Góp ý", "text_en": "Comments"},
]


def feedback(
    session: Session,
    kit: CommuneKit,
    *,
    kind: FeedbackKind = FeedbackKind.REPORT,
    status: FeedbackStatus = FeedbackStatus.NEW,
    received_days_ago: int = 2,
    **kw: Any,
) -> Feedback:
    received = working_days_ago(received_days_ago)
    values: dict[str, Any] = {
        "content": "Đường vào bản bị sạt lở",
        "citizen_name": "Vàng Thị Dợ",
        "citizen_phone": "0912345678",
        "channel": Channel.COUNTER,
    } | kw
    made = Feedback(
        id=new_id(),
        commune_id=kit.commune.id,
        kind=kind,
        status=status,
        received_at=received,
        response_due_date=add_working_days(received.date(), 10)
        if kind != FeedbackKind.PRAISE
        else None,
        **values,
    )
    session.add(made)
    stamp(session, made)
    session.flush()
    return made


def survey_form(
    session: Session,
    communes: list[Any],
    *,
    key: str = "hai-long",
    version: int = 1,
    status: FormStatus = FormStatus.PUBLISHED,
    questions: list[dict[str, Any]] | None = None,
) -> SurveyForm:
    form = SurveyForm(
        key=key,
        version=version,
        title_vi="Khảo sát hài lòng",
        title_en="Satisfaction survey",
        questions=questions if questions is not None else QUESTIONS,
        status=status,
        published_at=datetime.now(UTC) if status != FormStatus.DRAFT else None,
        communes=communes,
    )
    session.add(form)
    session.flush()
    stamp_global(session, form)
    return form


def survey_response(
    session: Session, form: SurveyForm, kit: CommuneKit, answers: dict[str, Any]
) -> SurveyResponse:
    response = SurveyResponse(
        id=new_id(),
        commune_id=kit.commune.id,
        form_id=form.id,
        village_id=kit.village.id,
        officer_id=kit.officer.id,
        collected_at=datetime.now(UTC) - timedelta(hours=3),
        answers=answers,
        age_band="31-45",
        gender="female",
        ethnic_group="Mông",
    )
    session.add(response)
    stamp(session, response)
    session.flush()
    return response


def tablet(world: World, client: FlaskClient, commune: str = "a") -> Tablet:
    kit = world.a if commune == "a" else world.b
    return make_tablet(kit.device, kit.token, FlaskHttp(client))


def make_conflict(
    session: Session, world: World, client: FlaskClient, *, first: str, second: str
) -> tuple[str, str, Tablet, Tablet]:
    """Two tablets of commune A (the officer's and the leader's) rename one applicant
    concurrently.

    Returns (dossier id, conflict id, the officer's tablet, the leader's); ``second`` is
    kept, ``first`` is the value that lost.
    """
    one = tablet(world, client)
    device, token = factories.device(session, world.a.leader, name="Máy của lãnh đạo")
    session.commit()
    two = make_tablet(device, token, FlaskHttp(client))
    dossier_id, create = one.new_dossier(world.procedure)
    one.push([create])
    base = {"applicant_name": create["t"]}
    one.push([one.op("dossier", dossier_id, {"applicant_name": first}, base=base)])
    result = two.push_one(two.op("dossier", dossier_id, {"applicant_name": second}, base=base))
    assert result["o"] == "conflict", result
    return dossier_id, result["x"][0], one, two
