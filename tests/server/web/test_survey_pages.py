"""Survey forms: editor, versions, publishing to tablets, results and exports in scope."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh
from openpyxl import load_workbook
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import AuditEntry, FormStatus, SurveyForm, survey_form_commune
from server.scoping import Scope
from server.services import survey_forms as service
from tests import factories
from tests.server.conftest import World
from tests.server.web.admin_helpers import survey_form, survey_response, tablet
from tests.server.web.helpers import csrf_token, log_in


def _rows(*questions: dict[str, Any]) -> dict[str, str]:
    data = {"rows": str(len(questions))}
    for i, q in enumerate(questions):
        for name, value in q.items():
            data[f"q-{i}-{name}"] = value
    return data


LIKERT = {"type": "likert5", "text_vi": "Hài lòng chung?", "text_en": "Satisfied?", "required": "1"}
CHOICE = {
    "type": "single_choice",
    "text_vi": "Ngôn ngữ?",
    "options": "vi = Tiếng Việt | Vietnamese\nTiếng Mông | Hmong",
}


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, "/surveys"), **data})


def test_create_edit_and_version_a_form(
    client: FlaskClient, world: World, session: Session
) -> None:
    log_in(client, world.province_admin)
    bad = _post(
        client,
        "/surveys/new",
        {"title_vi": "", **_rows({"type": "single_choice", "text_vi": "Chọn?", "options": "Một"})},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Cần tên phiếu" in html and "Cần ít nhất 2 lựa chọn" in html
    # "Thêm câu hỏi" re-shows the editor with more rows, saving nothing.
    more = _post(client, "/surveys/new", {"title_vi": "X", "more": "1", **_rows(LIKERT)})
    assert more.status_code == 200 and 'name="q-3-type"' in more.get_data(as_text=True)
    assert session.scalar(select(SurveyForm.id)) is None

    made = _post(
        client,
        "/surveys/new",
        {"title_vi": "Khảo sát năm 2027", "title_en": "", **_rows(LIKERT, CHOICE, {})},
    )
    assert made.status_code == 302
    form = session.scalars(select(SurveyForm)).one()
    assert (form.key, form.version, form.status) == ("khao-sat-nam-2027", 1, FormStatus.DRAFT)
    assert form.title_en == "Khảo sát năm 2027"
    assert [q["id"] for q in form.questions] == ["q1", "q2"]
    assert form.questions[1]["options"] == [
        {"value": "vi", "label_vi": "Tiếng Việt", "label_en": "Vietnamese"},
        {"value": "tieng-mong", "label_vi": "Tiếng Mông", "label_en": "Hmong"},
    ]
    assert form.questions[0]["required"] and not form.questions[1]["required"]
    # The same key again is refused.
    again = _post(client, "/surveys/new", {"title_vi": "Khảo sát năm 2027", **_rows(LIKERT)})
    assert again.status_code == 422

    # A draft is edited in place (ids kept, a new question gets the next free id).
    editor = client.get(f"/surveys/{form.id}/edit").get_data(as_text=True)
    assert "vi = Tiếng Việt | Vietnamese" in editor
    edited = {**LIKERT, "id": "q1", "text_vi": "Hài lòng không?"}
    response = _post(
        client,
        f"/surveys/{form.id}/edit",
        {"title_vi": "Khảo sát 2027", **_rows(edited, {"type": "text", "text_vi": "Góp ý"})},
    )
    assert response.status_code == 302
    session.refresh(form)
    assert form.version == 1 and form.title_vi == "Khảo sát 2027"
    assert [(q["id"], q["text_vi"]) for q in form.questions] == [
        ("q1", "Hài lòng không?"),
        ("q2", "Góp ý"),
    ]

    # Once published it is read-only: saving makes version 2 with the same key.
    form.status = FormStatus.PUBLISHED
    session.commit()
    response = _post(
        client, f"/surveys/{form.id}/edit", {"title_vi": "Khảo sát 2027 (sửa)", **_rows(edited)}
    )
    assert response.status_code == 302
    versions = session.scalars(select(SurveyForm).order_by(SurveyForm.version)).all()
    assert [(v.key, v.version, v.status) for v in versions] == [
        ("khao-sat-nam-2027", 1, FormStatus.PUBLISHED),
        ("khao-sat-nam-2027", 2, FormStatus.DRAFT),
    ]
    assert versions[0].title_vi == "Khảo sát 2027" and len(versions[0].questions) == 2
    assert response.headers["Location"].endswith(f"/surveys/{versions[1].id}")
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "survey_form").order_by(AuditEntry.id)
    ).all()
    assert actions == ["survey_form.create", "survey_form.update", "survey_form.new_version"]


def _reference(changes: list[dict[str, Any]], collection: str) -> dict[str, dict[str, Any]]:
    return {c["r"]: c["f"] for c in changes if c["c"] == collection}


def test_publish_reaches_the_chosen_communes_tablets(
    client: FlaskClient, world: World, session: Session
) -> None:
    draft = survey_form(session, [], status=FormStatus.DRAFT)
    old = survey_form(session, [world.a.commune], version=0, key="hai-long")
    other_province = factories.province(session, name="Hà Giang")
    far = factories.commune(session, other_province)
    session.commit()
    device_a, device_b = tablet(world, client, "a"), tablet(world, client, "b")
    _c, cursor_a = device_a.pull_all()
    _c, cursor_b = device_b.pull_all()

    log_in(client, world.province_admin)
    view = client.get(f"/surveys/{draft.id}").get_data(as_text=True)
    assert world.a.commune.name in view and far.name not in view
    url = f"/surveys/{draft.id}/publish"
    assert _post(client, url, {}).status_code == 422  # no commune chosen
    assert _post(client, url, {"communes": str(far.id)}).status_code == 403  # not the province's
    assert _post(client, url, {"communes": str(world.a.commune.id)}).status_code == 302
    session.expire_all()
    assert draft.status == FormStatus.PUBLISHED and draft.published_at is not None
    assert [c.id for c in draft.communes] == [world.a.commune.id]
    assert old.status == FormStatus.RETIRED  # the older version of the key stops

    changes, _ = device_a.pull_all(cursor_a)
    forms = _reference(changes, "survey_form")
    assert forms[str(draft.id)]["status"] == "published"
    assert forms[str(draft.id)]["questions"][0]["id"] == "q1"
    assert forms[str(old.id)]["status"] == "retired"
    changes_b, _ = device_b.pull_all(cursor_b)
    assert str(draft.id) not in _reference(changes_b, "survey_form")
    # Published is final: publishing again is refused; retiring re-stamps it for tablets.
    assert _post(client, url, {"communes": str(world.a.commune.id)}).status_code == 422
    _c, cursor_a = device_a.pull_all()
    assert _post(client, f"/surveys/{draft.id}/retire", {}).status_code == 302
    changes, _ = device_a.pull_all(cursor_a)
    assert _reference(changes, "survey_form")[str(draft.id)]["status"] == "retired"


def test_results_and_exports_count_only_the_viewers_communes(
    client: FlaskClient, world: World, session: Session
) -> None:
    form = survey_form(session, [world.a.commune, world.b.commune])
    answers = {"q1": 5, "q2": False, "q3": "hmn", "q4": ["loa", "zalo"], "q5": 2}
    survey_response(session, form, world.a, {**answers, "q6": '=HYPERLINK("x")'})
    survey_response(session, form, world.a, {"q1": 2, "q2": True, "q3": "vi", "q4": ["loa"]})
    survey_response(session, form, world.b, {"q1": 1, "q6": "Ý kiến xã B"})
    session.commit()

    scope_a = Scope(frozenset({world.a.commune.id}))
    results = service.form_results(session, scope_a, form)
    assert results.responses == 2
    q1, q2, q3, q4, q5, q6 = results.questions
    assert [c[3] for c in q1.counts] == [0, 1, 0, 0, 1] and q1.satisfied == 0.5
    assert [c[3] for c in q2.counts] == [1, 1]
    assert [(c[0], c[3]) for c in q3.counts] == [("vi", 1), ("hmn", 1)]
    assert [(c[0], c[3]) for c in q4.counts] == [("loa", 2), ("zalo", 1)]
    assert (q5.answered, q5.mean) == (1, 2.0)
    assert q6.texts == ['=HYPERLINK("x")']

    log_in(client, world.a.leader)
    html = client.get(f"/surveys/{form.id}/results").get_data(as_text=True)
    assert "Ý kiến xã B" not in html
    assert 'id="response-count">2<' in html and "50 %" in html
    assert "<svg" in html
    assert client.get(f"/surveys/{form.id}/results?commune={world.b.commune.id}").status_code == 404

    response = client.get(f"/surveys/{form.id}/responses.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3  # header + commune A's two
    assert rows[0][10].startswith("1. Hài lòng chung")
    assert "Ý kiến xã B" not in text
    injected = [row for row in rows if row[-1].startswith("'=")]
    assert len(injected) == 1  # a formula typed by a citizen stays text
    assert "Tiếng Mông" in text and "Loa; Zalo" in text
    assert [row[6] for row in rows[1:]] == ["Nữ", "Nữ"]  # words, not "female" (§16)
    assert "female" not in text

    response = client.get(f"/surveys/{form.id}/responses.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 3
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    log_in(client, world.province_admin)
    text = client.get(f"/surveys/{form.id}/responses.csv").get_data().decode("utf-8-sig")
    assert "Ý kiến xã B" in text


def test_leaders_see_only_forms_published_to_them(
    client: FlaskClient, world: World, session: Session
) -> None:
    draft = survey_form(session, [], key="nhap", status=FormStatus.DRAFT)
    mine = survey_form(session, [world.a.commune], key="cua-a")
    theirs = survey_form(session, [world.b.commune], key="cua-b")
    session.commit()
    log_in(client, world.a.leader)
    listing = client.get("/surveys").get_data(as_text=True)
    assert "cua-a" in listing and "cua-b" not in listing and "nhap" not in listing
    assert "Tạo phiếu mới" not in listing
    for form in (draft, theirs):
        assert client.get(f"/surveys/{form.id}").status_code == 404
        assert client.get(f"/surveys/{form.id}/results").status_code == 404
    assert client.get(f"/surveys/{mine.id}").status_code == 200
    assert client.get(f"/surveys/{mine.id}/edit").status_code == 403
    assert _post(client, f"/surveys/{mine.id}/retire", {}).status_code == 403


# -- two administrators at once ----------------------------------------------------------------


def _meanwhile(make: Callable[[Session], None]) -> None:
    """Another administrator's request: its own connection, committed."""
    with Session(db.engine) as other:
        make(other)
        other.commit()


def test_a_new_version_made_by_someone_else_meanwhile_is_a_409(
    client: FlaskClient,
    world: World,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    published = survey_form(session, [world.a.commune], key="hai-long", version=1)
    session.commit()
    read = service._next_version

    def racing(db_session: Session, key: str) -> int:
        number = read(db_session, key)  # what this request read…
        _meanwhile(  # …and the other administrator's new version, saved just after
            lambda other: other.add(
                SurveyForm(
                    key=key,
                    version=number,
                    title_vi="Bản của người khác",
                    title_en="",
                    questions=[],
                )
            ),
        )
        return number

    monkeypatch.setattr(service, "_next_version", racing)
    log_in(client, world.province_admin)
    edited = {**LIKERT, "id": "q1", "text_vi": "Hài lòng về thái độ cán bộ?"}
    response = _post(
        client, f"/surveys/{published.id}/edit", {"title_vi": "Bản sửa của tôi", **_rows(edited)}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Một quản trị viên khác vừa tạo phiên bản 2 của phiếu hai-long" in html
    assert "Bản sửa của tôi" in html and "Hài lòng về thái độ cán bộ?" in html  # kept
    session.expire_all()
    versions = session.scalars(select(SurveyForm).order_by(SurveyForm.version)).all()
    assert [(v.version, v.status, v.title_vi) for v in versions] == [
        (1, FormStatus.PUBLISHED, "Khảo sát hài lòng"),
        (2, FormStatus.DRAFT, "Bản của người khác"),
    ]
    assert "survey_form.new_version" not in session.scalars(select(AuditEntry.action)).all()
    # Saved again (the draft now exists): the changes go into it, as for any draft.
    monkeypatch.setattr(service, "_next_version", read)
    response = _post(
        client, f"/surveys/{published.id}/edit", {"title_vi": "Bản sửa của tôi", **_rows(edited)}
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(SurveyForm, versions[1].id).title_vi == "Bản sửa của tôi"  # type: ignore[union-attr]


def test_the_same_key_created_by_someone_else_meanwhile_is_a_409(
    client: FlaskClient,
    world: World,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check = service._key_taken

    def racing(db_session: Session, key: str) -> bool:
        free = check(db_session, key)
        _meanwhile(
            lambda other: other.add(
                SurveyForm(key=key, version=1, title_vi="Phiếu của người khác", title_en="")
            ),
        )
        return free

    monkeypatch.setattr(service, "_key_taken", racing)
    log_in(client, world.province_admin)
    response = _post(
        client, "/surveys/new", {"key": "hai-long-2027", "title_vi": "Hài lòng", **_rows(LIKERT)}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Một quản trị viên khác vừa tạo phiếu có mã hai-long-2027" in html
    assert "Mã phiếu hai-long-2027 đã có" in html  # under the key field, the rest kept
    assert "Hài lòng chung?" in html
    session.expire_all()
    assert session.scalars(select(SurveyForm.title_vi)).all() == ["Phiếu của người khác"]


def test_a_publication_made_by_someone_else_meanwhile_is_a_409(
    client: FlaskClient,
    world: World,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draft = survey_form(session, [], status=FormStatus.DRAFT)
    session.commit()
    stamp = service.stamp_global

    def racing(db_session: Session, record: Any) -> None:
        if record is draft:  # its communes are set, not yet written…
            _meanwhile(  # …when the other administrator's publication links the same commune
                lambda other: other.execute(
                    insert(survey_form_commune).values(
                        form_id=draft.id, commune_id=world.a.commune.id
                    )
                ),
            )
        stamp(db_session, record)

    monkeypatch.setattr(service, "stamp_global", racing)
    log_in(client, world.province_admin)
    response = _post(client, f"/surveys/{draft.id}/publish", {"communes": str(world.a.commune.id)})
    assert response.status_code == 409
    assert "Một quản trị viên khác vừa phát hành phiếu hai-long phiên bản 1" in response.get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(SurveyForm, draft.id).status == FormStatus.DRAFT  # type: ignore[union-attr]
    # Tried again, it goes through: the communes are linked once.
    monkeypatch.setattr(service, "stamp_global", stamp)
    response = _post(client, f"/surveys/{draft.id}/publish", {"communes": str(world.a.commune.id)})
    assert response.status_code == 302
    session.expire_all()
    assert service.form_commune_ids(session, draft.id) == {world.a.commune.id}
    assert session.get(SurveyForm, draft.id).status == FormStatus.PUBLISHED  # type: ignore[union-attr]


def test_english_export_says_female(client: FlaskClient, world: World, session: Session) -> None:
    form = survey_form(session, [world.a.commune])
    survey_response(session, form, world.a, {"q1": 5})
    session.commit()
    log_in(client, world.a.leader)
    client.get("/lang/en")
    refresh()  # the locale is cached in the test's shared app context
    text = client.get(f"/surveys/{form.id}/responses.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][6] == "Gender" and rows[1][6] == "Female"
