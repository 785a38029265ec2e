"""Survey forms (phiếu khảo sát) in the admin web: edit, version, publish, retire, results.

Forms are reference data defined centrally: province and system administrators write
them; leaders read the results of the forms published to their communes.

- A form is created as a draft (version 1). A draft is edited in place.
- Saving changes to a published or retired version makes a new draft version with the
  same ``key``: published versions are never edited, so every response refers to the
  questions that were actually asked.
- Publishing links the version to communes of the publisher's scope and re-stamps it in
  the global change sequence (``stamp_global``), so those communes' tablets pull it.
  Older published versions of the same key whose communes are all in the publisher's
  scope are retired at the same time, so tablets show one current version.
- Retiring re-stamps too: tablets see the status change and stop offering the form.
- Two administrators at once: saving, publishing and retiring lock the form's row
  first (``SELECT … FOR NO KEY UPDATE`` on PostgreSQL; SQLite runs one writer at a time), so
  the second one sees what the first did. A new key or a new version number taken by
  someone else between the check and the write (the unique ``key, version``) is a
  ``Conflict`` (409) that says so, never a server error; the caller rolls back.

Results and exports count only responses of communes in the viewer's scope.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import (
    AdminUnit,
    FormStatus,
    Officer,
    Role,
    SurveyForm,
    SurveyResponse,
    UnitLevel,
    survey_form_commune,
    utcnow,
)
from server.scoping import Scope, restrict
from server.services import audit
from server.services.changes import stamp_global
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.reports import (
    SATISFIED_MIN,
    Rate,
    communes_in_scope,
    likert_answers,
    narrow,
)
from server.translatable import msg
from sync.text import plain
from sync.workdays import OFFICE_TZ

QUESTION_TYPES = ("likert5", "yes_no", "single_choice", "multiple_choice", "number", "text")
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
MAX_QUESTIONS = 60
MAX_OPTIONS = 30
MAX_TEXT = 500
MAX_TITLE = 200
MAX_KEY = 60
MAX_OPTION_VALUE = 40
#: Latest free-text answers shown per question on the results page.
TEXT_SAMPLE = 20
EDITOR_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN})

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_VALUE_RE = re.compile(r"[A-Za-z0-9_.-]+")


def slug(text: str, limit: int = MAX_KEY) -> str:
    """ "Khảo sát hài lòng 2026" → "khao-sat-hai-long-2026"."""
    return "-".join(re.findall(r"[a-z0-9]+", plain(text)))[:limit].strip("-")


# ---------------------------------------------------------------------------------------
# Questions
# ---------------------------------------------------------------------------------------


@dataclass
class QuestionInput:
    """One row of the form editor, as typed."""

    id: str = ""
    type: str = "likert5"
    text_vi: str = ""
    text_en: str = ""
    options: str = ""  # one option a line: "value = nhãn | label" (value optional)
    required: bool = False

    @property
    def blank(self) -> bool:
        return not (self.text_vi.strip() or self.text_en.strip() or self.options.strip())


def options_text(options: list[Any] | None) -> str:
    """The editor's text for a list of options (the inverse of :func:`parse_options`)."""
    lines = []
    for option in options or []:
        if not isinstance(option, dict):
            continue
        line = f"{option.get('value', '')} = {option.get('label_vi', '')}"
        if option.get("label_en"):
            line += f" | {option['label_en']}"
        lines.append(line)
    return "\n".join(lines)


def parse_options(text: str) -> tuple[list[dict[str, str]], str | None]:
    """Options from the editor's text, and what is wrong with them (None if nothing)."""
    options: list[dict[str, str]] = []
    seen: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        value = ""
        head, sep, rest = line.partition("=")
        if sep and _VALUE_RE.fullmatch(head.strip()):
            value, line = head.strip(), rest.strip()
        label_vi, _, label_en = (part.strip() for part in line.partition("|"))
        if not label_vi:
            return options, msg("Mỗi lựa chọn cần nhãn tiếng Việt")
        if len(label_vi) > MAX_TEXT or len(label_en) > MAX_TEXT:
            return options, msg("Nhãn dài quá %(MAX_TEXT)s ký tự", MAX_TEXT=MAX_TEXT)
        value = (value or slug(label_vi, MAX_OPTION_VALUE) or f"o{len(options) + 1}")[
            :MAX_OPTION_VALUE
        ]
        if value in seen:
            return options, msg("Giá trị lựa chọn bị trùng: %(value)s", value=value)
        seen.add(value)
        options.append({"value": value, "label_vi": label_vi, "label_en": label_en or label_vi})
    if len(options) > MAX_OPTIONS:
        return options, msg("Tối đa %(MAX_OPTIONS)s lựa chọn", MAX_OPTIONS=MAX_OPTIONS)
    return options, None


def editor_rows(questions: list[Any]) -> list[QuestionInput]:
    return [
        QuestionInput(
            id=str(q.get("id", "")),
            type=str(q.get("type", "text")),
            text_vi=str(q.get("text_vi", "")),
            text_en=str(q.get("text_en", "")),
            options=options_text(q.get("options")),
            required=bool(q.get("required")),
        )
        for q in questions
        if isinstance(q, dict)
    ]


def build_questions(rows: list[QuestionInput]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The form's question list from editor rows (blank rows dropped), and the problems.

    Existing question ids are kept; new questions get the next free ``qN``. Problems are
    keyed ``"<row index>.<field>"`` (and ``"questions"`` for the whole list).
    """
    errors: dict[str, str] = {}
    kept = [(index, row) for index, row in enumerate(rows) if not row.blank]
    taken = {row.id for _, row in kept if row.id and _VALUE_RE.fullmatch(row.id)}
    counter = 1
    questions: list[dict[str, Any]] = []
    used: set[str] = set()
    for index, row in kept:
        qid = row.id if row.id in taken and row.id not in used else ""
        while not qid:
            candidate = f"q{counter}"
            counter += 1
            if candidate not in taken and candidate not in used:
                qid = candidate
        used.add(qid)
        if row.type not in QUESTION_TYPES:
            errors[f"{index}.type"] = msg("Loại câu hỏi không hợp lệ")
        text_vi, text_en = row.text_vi.strip(), row.text_en.strip()
        if not text_vi:
            errors[f"{index}.text_vi"] = msg("Cần nội dung tiếng Việt")
        elif len(text_vi) > MAX_TEXT or len(text_en) > MAX_TEXT:
            errors[f"{index}.text_vi"] = msg("Dài quá %(MAX_TEXT)s ký tự", MAX_TEXT=MAX_TEXT)
        question: dict[str, Any] = {
            "id": qid,
            "type": row.type,
            "text_vi": text_vi,
            "text_en": text_en or text_vi,
            "required": bool(row.required),
        }
        if row.type in CHOICE_TYPES:
            options, problem = parse_options(row.options)
            if problem:
                errors[f"{index}.options"] = problem
            elif len(options) < 2:
                errors[f"{index}.options"] = msg("Cần ít nhất 2 lựa chọn")
            question["options"] = options
        questions.append(question)
    if not questions:
        errors["questions"] = msg("Phiếu cần ít nhất một câu hỏi")
    elif len(questions) > MAX_QUESTIONS:
        errors["questions"] = msg("Tối đa %(MAX_QUESTIONS)s câu hỏi", MAX_QUESTIONS=MAX_QUESTIONS)
    return questions, errors


#: Keys the editor does not show but a question keeps when edited: the element of
#: Decision 1001/QĐ-BNV it measures and whether it is the element's index question
#: (``server.services.sipas``), and the dossier link of a text question.
MARKERS = ("element", "index", "link")


def keep_markers(old: list[Any], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``new`` with the markers of the same-id questions of ``old`` (same type only)."""
    before = {str(q.get("id")): q for q in old or [] if isinstance(q, dict)}
    out = []
    for question in new:
        previous = before.get(str(question.get("id")))
        if previous is not None and previous.get("type") == question.get("type"):
            question = {**question, **{k: previous[k] for k in MARKERS if k in previous}}
        out.append(question)
    return out


def _check_titles(title_vi: str, title_en: str, errors: dict[str, str]) -> tuple[str, str]:
    vi, en = " ".join(title_vi.split()), " ".join(title_en.split())
    if not vi:
        errors["title_vi"] = msg("Cần tên phiếu tiếng Việt")
    elif len(vi) > MAX_TITLE or len(en) > MAX_TITLE:
        errors["title_vi"] = msg("Tên phiếu dài quá %(MAX_TITLE)s ký tự", MAX_TITLE=MAX_TITLE)
    return vi, en or vi


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def is_editor(officer: Officer) -> bool:
    return officer.role in EDITOR_ROLES


def _require_editor(officer: Officer) -> None:
    if not is_editor(officer):
        raise Forbidden(
            msg("Chỉ quản trị tỉnh và quản trị hệ thống được soạn, ban hành phiếu khảo sát")
        )


def form_commune_ids(session: Session, form_id: int) -> set[int]:
    return set(
        session.scalars(
            select(survey_form_commune.c.commune_id).where(survey_form_commune.c.form_id == form_id)
        )
    )


@dataclass
class FormRow:
    form: SurveyForm
    communes: list[AdminUnit]  # of the viewer's scope
    responses: int  # in the viewer's scope


def visible_forms(session: Session, scope: Scope, officer: Officer) -> list[FormRow]:
    """Editors see every form; leaders the non-draft forms published to their communes."""
    stmt = select(SurveyForm)
    if not is_editor(officer):
        linked = restrict(
            select(survey_form_commune.c.form_id),
            survey_form_commune.c.commune_id,
            scope,
        )
        stmt = stmt.where(SurveyForm.id.in_(linked), SurveyForm.status != FormStatus.DRAFT)
    forms = list(session.scalars(stmt.order_by(SurveyForm.key, SurveyForm.version.desc())))
    counts = dict(
        session.execute(
            restrict(
                select(SurveyResponse.form_id, func.count()),
                SurveyResponse.commune_id,
                scope,
            )
            .where(SurveyResponse.deleted.is_(False))
            .group_by(SurveyResponse.form_id)
        ).all()
    )
    return [
        FormRow(
            form,
            sorted((c for c in form.communes if scope.allows(c.id)), key=lambda c: c.name),
            int(counts.get(form.id, 0)),
        )
        for form in forms
    ]


def get_form(session: Session, scope: Scope, officer: Officer, form_id: int) -> SurveyForm:
    """The form if the officer may see it (404 otherwise, so ids do not leak)."""
    form = session.get(SurveyForm, form_id)
    if form is None:
        raise NotFound(msg("Không tìm thấy phiếu khảo sát: %(form_id)s", form_id=form_id))
    if is_editor(officer):
        return form
    if form.status == FormStatus.DRAFT or not any(
        scope.allows(c) for c in form_commune_ids(session, form.id)
    ):
        raise NotFound(msg("Không tìm thấy phiếu khảo sát: %(form_id)s", form_id=form_id))
    return form


def _locked_form(session: Session, form_id: int) -> SurveyForm:
    """The form, its row locked until the transaction ends (read again if already loaded)."""
    # FOR NO KEY UPDATE: other writers of the form wait; rows that only refer to it
    # (responses, commune links) are not held up.
    form = session.get(
        SurveyForm, form_id, with_for_update={"key_share": True}, populate_existing=True
    )
    if form is None:
        raise NotFound(msg("Không tìm thấy phiếu khảo sát: %(form_id)s", form_id=form_id))
    return form


def _key_taken(session: Session, key: str) -> bool:
    return session.scalar(select(SurveyForm.id).where(SurveyForm.key == key).limit(1)) is not None


def _next_version(session: Session, key: str) -> int:
    top = session.scalar(select(func.max(SurveyForm.version)).where(SurveyForm.key == key))
    return int(top or 0) + 1


def _insert_version(session: Session, form: SurveyForm, taken: Conflict) -> SurveyForm:
    """Add a new row of ``survey_form``; ``taken`` if another administrator was faster.

    The unique ``(key, version)`` is the referee: whoever writes second gets the
    ``Conflict`` (409), and the caller rolls the transaction back.
    """
    session.add(form)
    try:
        session.flush()
    except IntegrityError as error:
        raise taken from error
    return form


def versions_of(session: Session, key: str) -> list[SurveyForm]:
    return list(
        session.scalars(
            select(SurveyForm).where(SurveyForm.key == key).order_by(SurveyForm.version.desc())
        )
    )


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def create_form(
    session: Session,
    *,
    key: str,
    title_vi: str,
    title_en: str,
    rows: list[QuestionInput],
    by: Officer,
    remote_addr: str | None = None,
) -> SurveyForm:
    """A new draft, version 1. ``key`` defaults to a slug of the Vietnamese title."""
    _require_editor(by)
    errors: dict[str, str] = {}
    vi, en = _check_titles(title_vi, title_en, errors)
    key = key.strip().lower() or slug(vi)
    if not _KEY_RE.fullmatch(key) or len(key) > MAX_KEY:
        errors["key"] = msg("Mã phiếu chỉ gồm chữ thường không dấu, số và dấu gạch ngang")
    elif _key_taken(session, key):
        errors["key"] = msg("Mã phiếu %(key)s đã có", key=key)
    questions, problems = build_questions(rows)
    errors.update(problems)
    if errors:
        raise Invalid(msg("Phiếu khảo sát chưa hợp lệ"), errors=errors)
    form = _insert_version(
        session,
        SurveyForm(key=key, version=1, title_vi=vi, title_en=en, questions=questions),
        Conflict(
            msg("Một quản trị viên khác vừa tạo phiếu có mã %(key)s; hãy chọn mã khác", key=key),
            errors={"key": msg("Mã phiếu %(key)s đã có", key=key)},
        ),
    )
    _audit(session, "survey_form.create", form, by, remote_addr)
    return form


def save_form(
    session: Session,
    form_id: int,
    *,
    title_vi: str,
    title_en: str,
    rows: list[QuestionInput],
    by: Officer,
    remote_addr: str | None = None,
) -> SurveyForm:
    """Save a draft in place; for a published or retired version, make a new draft version.

    Returns the draft that holds the changes.
    """
    _require_editor(by)
    form = _locked_form(session, form_id)
    errors: dict[str, str] = {}
    vi, en = _check_titles(title_vi, title_en, errors)
    questions, problems = build_questions(rows)
    errors.update(problems)
    if errors:
        raise Invalid(msg("Phiếu khảo sát chưa hợp lệ"), errors=errors)
    questions = keep_markers(form.questions, questions)
    if form.status == FormStatus.DRAFT:
        form.title_vi, form.title_en, form.questions = vi, en, questions
        session.flush()
        _audit(session, "survey_form.update", form, by, remote_addr)
        return form
    draft = session.scalar(
        select(SurveyForm).where(SurveyForm.key == form.key, SurveyForm.status == FormStatus.DRAFT)
    )
    if draft is None:
        version = _next_version(session, form.key)
        draft = _insert_version(
            session,
            SurveyForm(
                key=form.key, version=version, title_vi=vi, title_en=en, questions=questions
            ),
            Conflict(
                msg(
                    "Một quản trị viên khác vừa tạo phiên bản %(version)s của phiếu %(key)s; thay "
                    "đổi của bạn chưa được lưu: hãy mở phiên bản đó và sửa lại",
                    version=version,
                    key=form.key,
                ),
                errors={"version": str(version)},
            ),
        )
    else:
        draft.title_vi, draft.title_en, draft.questions = vi, en, questions
        session.flush()
    _audit(
        session, "survey_form.new_version", draft, by, remote_addr, {"from_version": form.version}
    )
    return draft


def publish(
    session: Session,
    scope: Scope,
    form_id: int,
    commune_ids: list[int],
    *,
    by: Officer,
    now: datetime | None = None,
    remote_addr: str | None = None,
) -> SurveyForm:
    """Publish a draft to communes of the scope, so their tablets pull it (read-only)."""
    _require_editor(by)
    form = _locked_form(session, form_id)
    if form.status != FormStatus.DRAFT:
        raise Invalid(
            msg("Chỉ phát hành được bản nháp; hãy sửa để tạo phiên bản mới"),
            errors={"status": form.status.value},
        )
    chosen = sorted(set(commune_ids))
    if not chosen:
        raise Invalid(
            msg("Chọn ít nhất một xã, phường"),
            errors={"communes": msg("Chưa chọn xã")},
        )
    units = list(session.scalars(select(AdminUnit).where(AdminUnit.id.in_(chosen))))
    if len(units) != len(chosen) or any(
        u.level != UnitLevel.COMMUNE or not scope.allows(u.id) for u in units
    ):
        raise Forbidden(msg("Chỉ phát hành được cho các xã trong phạm vi quản lý"))
    when = now or utcnow()
    retired = []
    key, version = form.key, form.version  # a failed flush leaves the form unreadable
    try:
        for older in versions_of(session, form.key):
            if (
                older.id != form.id
                and older.status == FormStatus.PUBLISHED
                and all(scope.allows(c) for c in form_commune_ids(session, older.id))
            ):
                older.status = FormStatus.RETIRED
                stamp_global(session, older)
                retired.append(older.version)
        form.communes = units
        form.status = FormStatus.PUBLISHED
        form.published_at = when
        stamp_global(session, form)  # its query flushes the links: inside the ``try``
        session.flush()
    except IntegrityError as error:  # the same links written by someone else meanwhile
        raise Conflict(
            msg(
                "Một quản trị viên khác vừa phát hành phiếu %(key)s phiên bản %(version)s",
                key=key,
                version=version,
            ),
            errors={"status": FormStatus.PUBLISHED.value},
        ) from error
    _audit(
        session,
        "survey_form.publish",
        form,
        by,
        remote_addr,
        {"communes": chosen, **({"retired_versions": retired} if retired else {})},
    )
    return form


def retire(
    session: Session,
    scope: Scope,
    form_id: int,
    *,
    by: Officer,
    remote_addr: str | None = None,
) -> SurveyForm:
    """Stop collecting with a published version (tablets pull the new status)."""
    _require_editor(by)
    form = _locked_form(session, form_id)
    if form.status != FormStatus.PUBLISHED:
        raise Invalid(
            msg("Chỉ ngừng được phiếu đang phát hành"),
            errors={"status": form.status.value},
        )
    if not all(scope.allows(c) for c in form_commune_ids(session, form.id)):
        raise Forbidden(msg("Phiếu được phát hành cho cả xã ngoài phạm vi quản lý"))
    form.status = FormStatus.RETIRED
    stamp_global(session, form)
    session.flush()
    _audit(session, "survey_form.retire", form, by, remote_addr)
    return form


def _audit(
    session: Session,
    action: str,
    form: SurveyForm,
    by: Officer,
    remote_addr: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        action,
        officer_id=by.id,
        commune_id=by.unit_id,
        entity="survey_form",
        entity_id=form.id,
        detail={"key": form.key, "version": form.version, **(detail or {})},
        remote_addr=remote_addr,
    )


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    number: int
    question: dict[str, Any]
    answered: int = 0
    #: (value, Vietnamese label, English label, count), in the order of the choices.
    counts: list[tuple[Any, str, str, int]] = field(default_factory=list)
    satisfied: float | None = None  # likert5: share of 4-5
    mean: float | None = None  # likert5 and number
    minimum: float | None = None
    maximum: float | None = None
    texts: list[str] = field(default_factory=list)  # text: the latest answers

    @property
    def type(self) -> str:
        return str(self.question.get("type"))

    @property
    def top(self) -> int:
        return max((c[3] for c in self.counts), default=0)


@dataclass
class CommuneResult:
    commune: AdminUnit
    responses: int
    rate: Rate


@dataclass
class FormResults:
    form: SurveyForm
    communes: list[AdminUnit]  # of the scope, the form is published to
    commune_id: int | None
    responses: int
    rate: Rate
    questions: list[QuestionResult]
    by_commune: list[CommuneResult]


def _responses(
    session: Session, scope: Scope, form: SurveyForm, commune_id: int | None
) -> list[SurveyResponse]:
    stmt = restrict(select(SurveyResponse), SurveyResponse.commune_id, narrow(scope, commune_id))
    return list(
        session.scalars(
            stmt.where(
                SurveyResponse.form_id == form.id, SurveyResponse.deleted.is_(False)
            ).order_by(SurveyResponse.collected_at.desc(), SurveyResponse.id)
        )
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _question_result(number: int, question: dict[str, Any], answers: list[Any]) -> QuestionResult:
    result = QuestionResult(number, question)
    kind = question.get("type")
    given = [a for a in answers if a is not None and a != "" and a != []]
    if kind == "likert5":
        values = [a for a in given if _is_int(a) and 1 <= a <= 5]
        tally = Counter(values)
        result.answered = len(values)
        result.counts = [(n, str(n), str(n), tally.get(n, 0)) for n in range(1, 6)]
        if values:
            result.satisfied = sum(1 for v in values if v >= SATISFIED_MIN) / len(values)
            result.mean = sum(values) / len(values)
    elif kind == "yes_no":
        values = [a for a in given if isinstance(a, bool)]
        result.answered = len(values)
        result.counts = [
            (True, "Có", "Yes", sum(1 for v in values if v)),
            (False, "Không", "No", sum(1 for v in values if not v)),
        ]
    elif kind in CHOICE_TYPES:
        chosen_counts: Counter[str] = Counter()
        for answer in given:
            chosen = answer if isinstance(answer, list) else [answer]
            chosen_counts.update(str(c) for c in chosen)
            result.answered += 1
        options = [o for o in question.get("options") or [] if isinstance(o, dict)]
        known = [str(o.get("value")) for o in options]
        result.counts = [
            (
                str(o.get("value")),
                str(o.get("label_vi", o.get("value"))),
                str(o.get("label_en") or o.get("label_vi", o.get("value"))),
                chosen_counts.get(str(o.get("value")), 0),
            )
            for o in options
        ]
        other = sum(n for value, n in chosen_counts.items() if value not in known)
        if other:
            result.counts.append(("", "Khác", "Other", other))
    elif kind == "number":
        values = [float(a) for a in given if _is_number(a)]
        result.answered = len(values)
        if values:
            result.mean = sum(values) / len(values)
            result.minimum, result.maximum = min(values), max(values)
    else:
        texts = [str(a) for a in given if isinstance(a, str) and a.strip()]
        result.answered = len(texts)
        result.texts = texts[:TEXT_SAMPLE]
    return result


def _likert_rate(form: SurveyForm, responses: list[SurveyResponse]) -> Rate:
    likert = [
        str(q["id"]) for q in form.questions if isinstance(q, dict) and q.get("type") == "likert5"
    ]
    rate = Rate()
    for response in responses:
        values = likert_answers(response.answers or {}, likert)
        if values:
            rate.satisfied += sum(1 for v in values if v >= SATISFIED_MIN)
            rate.answers += len(values)
            rate.responses += 1
    return rate


def form_results(
    session: Session, scope: Scope, form: SurveyForm, *, commune_id: int | None = None
) -> FormResults:
    """Counts per question and satisfaction per commune, within ``scope`` (narrowed)."""
    responses = _responses(session, scope, form, commune_id)
    questions = [q for q in form.questions if isinstance(q, dict)]
    results = [
        _question_result(n, q, [(r.answers or {}).get(str(q.get("id"))) for r in responses])
        for n, q in enumerate(questions, start=1)
    ]
    linked = form_commune_ids(session, form.id)
    with_data = {r.commune_id for r in responses}
    communes = [c for c in communes_in_scope(session, scope) if c.id in linked | with_data]
    by_commune = []
    for commune in communes:
        if commune_id is not None and commune.id != commune_id:
            continue
        own = [r for r in responses if r.commune_id == commune.id]
        by_commune.append(CommuneResult(commune, len(own), _likert_rate(form, own)))
    return FormResults(
        form=form,
        communes=communes,
        commune_id=commune_id,
        responses=len(responses),
        rate=_likert_rate(form, responses),
        questions=results,
        by_commune=by_commune,
    )


# ---------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet will not run: text starting like a formula gets a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _answer_cell(question: dict[str, Any], value: Any, english: bool) -> Any:
    if value is None:
        return ""
    kind = question.get("type")
    if kind == "yes_no" and isinstance(value, bool):
        return ("Yes" if value else "No") if english else ("Có" if value else "Không")
    if kind in CHOICE_TYPES:
        labels = {
            str(o.get("value")): str(
                (o.get("label_en") if english else None) or o.get("label_vi") or o.get("value")
            )
            for o in question.get("options") or []
            if isinstance(o, dict)
        }
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(str(c), str(c)) for c in chosen)
    if _is_number(value):
        return value
    return str(value)


#: The respondent's gender as the tablet stores it, in words (the tablet's own labels).
GENDER_WORDS = {"male": ("Nam", "Male"), "female": ("Nữ", "Female")}


def _gender(value: str | None, english: bool) -> str:
    if not value:
        return ""
    words = GENDER_WORDS.get(value)
    return (words[1] if english else words[0]) if words else value


def response_table(
    session: Session,
    scope: Scope,
    form: SurveyForm,
    *,
    commune_id: int | None = None,
    english: bool = False,
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of every response in scope: one column per question."""
    responses = list(reversed(_responses(session, scope, form, commune_id)))
    questions = [q for q in form.questions if isinstance(q, dict)]
    unit_ids = {r.commune_id for r in responses} | {r.village_id for r in responses if r.village_id}
    units = {u.id: u for u in session.scalars(select(AdminUnit).where(AdminUnit.id.in_(unit_ids)))}
    officer_ids = {r.officer_id for r in responses if r.officer_id}
    officers = {
        o.id: o.full_name
        for o in session.scalars(select(Officer).where(Officer.id.in_(officer_ids)))
    }
    if english:
        fixed = ["Response", "Commune", "Village", "Collected at", "Surveyor"]
        fixed += ["Age band", "Gender", "Ethnic group", "Latitude", "Longitude"]
    else:
        fixed = ["Mã phiếu trả lời", "Xã, phường", "Thôn, bản", "Thời điểm", "Người khảo sát"]
        fixed += ["Nhóm tuổi", "Giới tính", "Dân tộc", "Vĩ độ", "Kinh độ"]
    header = fixed + [
        f"{n}. {q.get('text_en') if english else q.get('text_vi')}"
        for n, q in enumerate(questions, start=1)
    ]
    rows = []
    for r in responses:
        commune = units.get(r.commune_id)
        village = units.get(r.village_id) if r.village_id else None
        row: list[Any] = [
            r.id,
            commune.full_name if commune else r.commune_id,
            village.full_name if village else "",
            r.collected_at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M"),
            officers.get(r.officer_id, "") if r.officer_id else "",
            r.age_band or "",
            _gender(r.gender, english),
            r.ethnic_group or "",
            r.latitude if r.latitude is not None else "",
            r.longitude if r.longitude is not None else "",
        ]
        row += [
            _answer_cell(q, (r.answers or {}).get(str(q.get("id"))), english) for q in questions
        ]
        rows.append([safe_cell(v) for v in row])
    return [str(safe_cell(h)) for h in header], rows


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Vietnamese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = (re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Khảo sát")[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            # Never a formula, whatever a citizen typed (safe_cell quoted it already).
            if cell.data_type == "f":
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = min(60, max(10, len(str(name)) + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_name(form: SurveyForm, extension: str, *, when: datetime | None = None) -> str:
    day = (when or utcnow()).astimezone(OFFICE_TZ).strftime("%Y%m%d")
    return f"khao-sat-{form.key}-v{form.version}-{day}.{extension}"
