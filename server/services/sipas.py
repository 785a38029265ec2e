"""Satisfaction the way the state measures it (Decision 1001/QĐ-BNV of 11 December 2023).

The Ministry of Home Affairs measures the satisfaction of people and organisations with
the service of state administrative bodies (the SIPAS index) on **five elements** of
the delivery of a public administrative service, asked of people who completed a
procedure:

=============  ====================================================================
``access``     Tiếp cận dịch vụ hành chính công (where and how the service is reached)
``procedure``  Thủ tục hành chính (publicity, documents, fees, time limits)
``officer``    Công chức trực tiếp giải quyết công việc (conduct, guidance)
``result``     Kết quả cung ứng dịch vụ (on time, correct, complete)
``feedback``   Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị
=============  ====================================================================

Each element has a satisfaction question on the five-level scale (1 rất không hài lòng
… 5 rất hài lòng), marked in the form's JSON with ``"element": <key>`` and
``"index": true``; other questions of the element (``"element"`` without ``"index"``)
are the criteria the respondent judges first and do not enter the index.

The index of an element is the share of respondents who answered its satisfaction
question with "hài lòng" or "rất hài lòng" (4 or 5) among those who answered it; the
overall index is the average of the element indices that have answers. Nothing else
(criteria, yes/no, texts) is counted. The five elements are those of the Ministry's
method (listed by the provinces that apply it, e.g. "(1) Tiếp cận dịch vụ hành chính
công …; (2) Thủ tục hành chính; (3) Công chức giải quyết công việc; (4) Kết quả cung ứng
dịch vụ hành chính công và; (5) Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị"); the
computing section of Decision 1001/QĐ-BNV could not be read here (docs/LAW.md), so the
formula above is the share-of-satisfied reading, not a quotation of the Decision.

A response can be tied to the completed dossier it is about: the form's questions
marked ``"link": "receipt_number"`` and ``"link": "check_code"`` carry what the
respondent reads on the slip (:func:`linked_dossier`).

:func:`default_form_questions` is the survey shipped by default (``motcua
seed-survey`` and the demo seed it, published to every commune).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Dossier, FormStatus, SurveyForm, UnitLevel, utcnow
from server.services.changes import stamp_global
from sync.domain import DossierStatus

#: Key of the default survey form.
DEFAULT_FORM_KEY = "hai-long-qd-1001-bnv"
DEFAULT_TITLE_VI = (
    "Phiếu khảo sát sự hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành "
    "chính nhà nước (Quyết định 1001/QĐ-BNV)"
)
DEFAULT_TITLE_EN = (
    "Satisfaction with the service of state administrative bodies (Decision 1001/QĐ-BNV)"
)
#: The five elements, in the decision's order: (key, Vietnamese name, English name).
ELEMENTS: tuple[tuple[str, str, str], ...] = (
    ("access", "Tiếp cận dịch vụ", "Access to the service"),
    ("procedure", "Thủ tục hành chính", "The administrative procedure"),
    ("officer", "Công chức giải quyết công việc", "The officer who handled it"),
    ("result", "Kết quả giải quyết", "The result"),
    ("feedback", "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị", "Handling of feedback"),
)
ELEMENT_KEYS = tuple(key for key, _vi, _en in ELEMENTS)
#: "Hài lòng" (4) and "rất hài lòng" (5) count as satisfied.
SATISFIED_MIN = 4
#: A dossier whose procedure is completed: the people the survey is for.
COMPLETED = frozenset(
    {
        DossierStatus.RESULT_RETURNED,
        DossierStatus.APPROVED,
        DossierStatus.REJECTED,
    }
)


def _likert(qid: str, element: str, vi: str, en: str, *, index: bool = False) -> dict[str, Any]:
    question: dict[str, Any] = {
        "id": qid,
        "type": "likert5",
        "text_vi": vi,
        "text_en": en,
        "required": index and element != "feedback",
        "element": element,
    }
    if index:
        question["index"] = True
    return question


def default_form_questions() -> list[dict[str, Any]]:
    """The questions of the default survey: criteria, then the satisfaction question, of
    each of the five elements; whether the respondent gave feedback; the dossier link."""
    return [
        {
            "id": "receipt_number",
            "type": "text",
            "text_vi": "Số biên nhận (mã hồ sơ) ghi trên giấy tiếp nhận, nếu ông/bà có",
            "text_en": "Receipt number (dossier code) on the receipt slip, if you have it",
            "required": False,
            "link": "receipt_number",
        },
        {
            "id": "check_code",
            "type": "text",
            "text_vi": "Mã kiểm tra in dưới mã QR của giấy tiếp nhận, nếu có",
            "text_en": "Check code printed under the QR code of the receipt slip, if any",
            "required": False,
            "link": "check_code",
        },
        _likert(
            "access_1",
            "access",
            "Nơi tiếp nhận hồ sơ (Trung tâm Phục vụ hành chính công, điểm lưu động) dễ tìm, "
            "có đủ chỗ ngồi, trang thiết bị",
            "The place of receipt (the centre, the village point) is easy to find and equipped",
        ),
        _likert(
            "access",
            "access",
            "Ông/bà hài lòng thế nào về việc tiếp cận dịch vụ?",
            "How satisfied are you with access to the service?",
            index=True,
        ),
        _likert(
            "procedure_1",
            "procedure",
            "Thủ tục được niêm yết công khai; thành phần hồ sơ, phí, lệ phí, thời hạn đúng "
            "quy định",
            "The procedure is posted; its documents, fees and time limit are as prescribed",
        ),
        _likert(
            "procedure",
            "procedure",
            "Ông/bà hài lòng thế nào về thủ tục hành chính?",
            "How satisfied are you with the administrative procedure?",
            index=True,
        ),
        _likert(
            "officer_1",
            "officer",
            "Công chức có thái độ lịch sự, hướng dẫn kê khai đầy đủ, dễ hiểu",
            "The officer was courteous and explained the forms fully and clearly",
        ),
        _likert(
            "officer",
            "officer",
            "Ông/bà hài lòng thế nào về công chức trực tiếp giải quyết công việc?",
            "How satisfied are you with the officer who handled your dossier?",
            index=True,
        ),
        _likert(
            "result_1",
            "result",
            "Kết quả được trả đúng hẹn, thông tin chính xác, đầy đủ",
            "The result came on time, with correct and complete information",
        ),
        _likert(
            "result",
            "result",
            "Ông/bà hài lòng thế nào về kết quả giải quyết thủ tục?",
            "How satisfied are you with the result?",
            index=True,
        ),
        {
            "id": "gave_feedback",
            "type": "yes_no",
            "text_vi": "Ông/bà có góp ý, phản ánh, kiến nghị trong khi làm thủ tục không?",
            "text_en": "Did you give feedback, a report or a recommendation meanwhile?",
            "required": True,
            "element": "feedback",
        },
        _likert(
            "feedback",
            "feedback",
            "Nếu có: ông/bà hài lòng thế nào về việc tiếp nhận, xử lý góp ý, phản ánh, kiến nghị?",
            "If so: how satisfied are you with how your feedback was handled?",
            index=True,
        ),
        {
            "id": "comment",
            "type": "text",
            "text_vi": "Ý kiến khác để xã phục vụ người dân tốt hơn",
            "text_en": "Other suggestions to help the commune serve people better",
            "required": False,
        },
    ]


def index_questions(questions: Iterable[Any]) -> dict[str, str]:
    """``element → question id`` of the satisfaction question of each element."""
    found: dict[str, str] = {}
    for q in questions:
        if (
            isinstance(q, dict)
            and q.get("index") is True
            and q.get("type") == "likert5"
            and q.get("element") in ELEMENT_KEYS
        ):
            found.setdefault(str(q["element"]), str(q["id"]))
    return found


@dataclass
class ElementRate:
    """Answers to one element's satisfaction question."""

    satisfied: int = 0
    answered: int = 0

    @property
    def index(self) -> float | None:
        return self.satisfied / self.answered if self.answered else None


@dataclass
class SipasIndex:
    """The index per element and overall, for one commune and period (or all)."""

    elements: dict[str, ElementRate] = field(
        default_factory=lambda: {key: ElementRate() for key in ELEMENT_KEYS}
    )
    responses: int = 0

    @property
    def overall(self) -> float | None:
        """The average of the element indices that have answers."""
        values = [r.index for r in self.elements.values() if r.index is not None]
        return sum(values) / len(values) if values else None

    def add(self, answers: Mapping[str, Any], questions: Mapping[str, str]) -> bool:
        """Count one response; False (nothing counted) if it answers no element."""
        counted = False
        for element, qid in questions.items():
            value = answers.get(qid)
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
                rate = self.elements[element]
                rate.answered += 1
                rate.satisfied += value >= SATISFIED_MIN
                counted = True
        self.responses += counted
        return counted


def sipas_index(
    responses: Iterable[tuple[Mapping[str, Any], Sequence[Any]]],
) -> SipasIndex:
    """The index over ``(answers, questions of its form)`` pairs."""
    result = SipasIndex()
    for answers, questions in responses:
        result.add(answers, index_questions(questions))
    return result


def linked_dossier(
    session: Session, commune_id: int, answers: Mapping[str, Any], questions: Sequence[Any]
) -> Dossier | None:
    """The completed dossier a response is about, from the receipt number it gives.

    The dossier must be of the response's commune and completed, and the response's
    check code must match the dossier's (``Dossier.check_code``, typed as printed, with
    or without the dash): a receipt number alone is printed on papers others see.
    """
    links = {
        str(q.get("link")): str(q.get("id"))
        for q in questions
        if isinstance(q, dict) and q.get("link")
    }
    receipt = answers.get(links.get("receipt_number", ""))
    if not isinstance(receipt, str) or not receipt.strip():
        return None
    dossier = session.scalar(
        select(Dossier).where(
            Dossier.commune_id == commune_id,
            Dossier.receipt_number == receipt.strip(),
            Dossier.deleted.is_(False),
        )
    )
    if dossier is None or dossier.status not in COMPLETED:
        return None
    expected = dossier.check_code
    if expected:
        given = answers.get(links.get("check_code", ""))
        typed = "".join(given.split()).replace("-", "").upper() if isinstance(given, str) else ""
        if typed != str(expected).upper():
            return None
    return dossier


def ensure_default_form(session: Session) -> tuple[SurveyForm, bool]:
    """The default survey, published to every commune; created if absent (idempotent).

    Returns the form and whether it was created. An existing form of the key, in any
    version or status, is left as administrators made it.
    """
    existing = session.scalar(
        select(SurveyForm)
        .where(SurveyForm.key == DEFAULT_FORM_KEY)
        .order_by(SurveyForm.version.desc())
        .limit(1)
    )
    if existing is not None:
        return existing, False
    communes = list(session.scalars(select(AdminUnit).where(AdminUnit.level == UnitLevel.COMMUNE)))
    form = SurveyForm(
        key=DEFAULT_FORM_KEY,
        version=1,
        title_vi=DEFAULT_TITLE_VI,
        title_en=DEFAULT_TITLE_EN,
        questions=default_form_questions(),
        status=FormStatus.PUBLISHED,
        published_at=utcnow(),
        communes=communes,
    )
    session.add(form)
    session.flush()
    stamp_global(session, form)
    return form, True
