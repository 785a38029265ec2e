"""A headless tablet for demos, tests and benchmarks: ``python -m mobile.simulator``.

Every command is a thin wrapper over ``mobile.tablet.Tablet``; the database given with
``--db`` is the tablet's own SQLite file, so several simulated tablets are several files.

    python -m mobile.simulator --db t1.db register --server http://127.0.0.1:5000 \\
        --username hotich.tavan --password motcua2026
    python -m mobile.simulator --db t1.db sync          # catalog, villages, survey form
    python -m mobile.simulator --db t1.db field-day     # a day in the villages, offline
    python -m mobile.simulator --db t1.db status
    python -m mobile.simulator --db t1.db sync

``field-day`` records the "field day" workload of QUALITY.md: 40 dossiers of about a
dozen fields with six timeline events each, 15 feedback items, 150 answers to the
published 12-question survey and 30 photos of about 150 KB attached to dossiers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from mobile.tablet import InvalidInput, Tablet
from mobile.transport import HttpTransport
from sync.domain import Channel, DossierStatus, FeedbackKind, FeedbackSubject
from sync.engine import SyncReport
from sync.errors import SyncError
from sync.forms import example_values
from sync.schema import COLLECTIONS

__all__ = ["FieldDaySummary", "Person", "main", "random_person", "record_field_day"]

# -- people -----------------------------------------------------------------------------------

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # ethnic group: surnames, male middle+given, female middle+given, ...
    "Kinh": (
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi"),
        ("Văn Hùng", "Đức Thắng", "Minh Tuấn", "Quang Hải", "Văn Nam", "Xuân Trường"),
        ("Thị Hoa", "Thu Hà", "Thanh Hương", "Ngọc Lan", "Thị Thảo", "Thị Hằng"),
        ("Tổ dân phố", "Thôn"),
    ),
    "Mông": (
        ("Giàng", "Sùng", "Thào", "Vàng", "Lý", "Hầu", "Mùa", "Lầu"),
        ("A Páo", "Seo Chứ", "A Sử", "Văn Sình", "A Lử", "Seo Dế", "A Tủa", "Seo Phừ"),
        ("Thị Mai", "Thị Dợ", "Thị Mỷ", "Thị Sua", "Thị Dua", "Thị Chía"),
        ("Thôn", "Bản"),
    ),
    "Dao": (
        ("Lý", "Tẩn", "Triệu", "Chảo", "Phàn", "Bàn"),
        ("Láo Tả", "Văn Lở", "A Sử", "Quẩy Kiềm", "Văn Chài"),
        ("Tả Mẩy", "Mý Mai", "Thị Xuân", "Sử Phẩy", "Thị Lai"),
        ("Thôn",),
    ),
    "Tày": (
        ("Hoàng", "Nông", "Lương", "Ma", "Vi", "La"),
        ("Văn Thanh", "Đức Dũng", "Văn Khiêm", "Văn Bình"),
        ("Thị Hường", "Thị Nhung", "Thị Duyên", "Thị Thoa"),
        ("Thôn",),
    ),
    "Giáy": (
        ("Lù", "Lò", "Hoàng", "Vàng", "Sần"),
        ("Văn Pảo", "Văn Chín", "Văn Vịnh", "Văn Lợi"),
        ("Thị Lan", "Thị Sen", "Thị Chiêm", "Thị Ngần"),
        ("Thôn",),
    ),
}
_ETHNIC_MIX = (("Mông", 55), ("Giáy", 15), ("Dao", 14), ("Kinh", 10), ("Tày", 6))
_TONGUE = {"Mông": "hmn", "Dao": "dao", "Tày": "tay_giay", "Giáy": "tay_giay"}
_AGE_BANDS = (("18-30", 30), ("31-45", 35), ("46-60", 22), ("60+", 13))
_FEEDBACK = (
    (FeedbackKind.RECOMMENDATION, "Đề nghị xã bố trí thêm ghế ngồi chờ cho người già."),
    (FeedbackKind.PRAISE, "Cán bộ hướng dẫn bằng tiếng Mông rất nhiệt tình, dễ hiểu."),
    (FeedbackKind.REPORT, "Đường vào thôn bị sạt lở, người dân khó đi nộp hồ sơ."),
    (FeedbackKind.RECOMMENDATION, "Mong xã tiếp tục xuống thôn nhận hồ sơ vào mùa thu hoạch."),
    (FeedbackKind.COMPLAINT, "Hồ sơ trợ cấp của gia đình tôi đã quá hẹn mà chưa có kết quả."),
    (FeedbackKind.REPORT, "Sóng điện thoại yếu, không nộp được hồ sơ trực tuyến."),
    (FeedbackKind.PRAISE, "Trả kết quả nhanh, không phải đi lại nhiều lần."),
    (FeedbackKind.RECOMMENDATION, "Cần thông báo lịch tiếp nhận lưu động qua trưởng thôn."),
)
_COMMENTS = (
    "Đề nghị có thêm ghế ngồi chờ cho người già.",
    "Cán bộ nhiệt tình, hướng dẫn dễ hiểu.",
    "Mong xã tiếp tục xuống thôn nhận hồ sơ.",
    "Trả kết quả nhanh, không phải đi lại nhiều.",
)
_NOTES = (
    "Đã kiểm tra đủ thành phần hồ sơ",
    "Đã xác minh thông tin tại thôn",
    "Đã gọi điện hẹn công dân",
    "Đã trình lãnh đạo xã ký",
    "Đã đối chiếu bản chính",
)
#: Six timeline events per dossier: "received", then five of these (status or note).
_PATHS: tuple[tuple[str, ...], ...] = (
    ("note", "in_progress", "note", "approved", "result_returned"),
    ("note", "needs_supplement", "note", "in_progress", "approved"),
    ("note", "in_progress", "note", "note", "rejected"),
    ("note", "note", "in_progress", "note", "note"),
)


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


@dataclass(frozen=True)
class Person:
    name: str
    male: bool
    ethnic_group: str
    dob: date
    cccd: str
    phone: str | None


def random_person(rng: random.Random, today: date | None = None) -> Person:
    """A plausible (made-up) villager: name by ethnic group, birth date, citizen ID."""
    group = _pick(rng, _ETHNIC_MIX)
    surnames, males, females, _ = _NAMES[group]
    male = rng.random() < 0.5
    name = f"{rng.choice(surnames)} {rng.choice(males if male else females)}"
    today = today or date.today()
    dob = today - timedelta(days=rng.randint(18 * 365 + 5, 78 * 365))
    century_sex = 2 * ((dob.year - 1900) // 100) + (0 if male else 1)
    cccd = f"010{century_sex}{dob.year % 100:02d}{rng.randrange(10**6):06d}"
    phone = None if rng.random() < 0.2 else f"09{rng.randrange(10**8):08d}"
    return Person(name, male, group, dob, cccd, phone)


def fake_jpeg(rng: random.Random, size: int) -> bytes:
    """Random bytes behind a JPEG header: incompressible, like a real photo."""
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return header + rng.randbytes(max(0, size - len(header) - 2)) + b"\xff\xd9"


def random_form_values(
    rng: random.Random, form: dict[str, Any] | None, today: date, place: str
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Parties and facts for a procedure's form: a made-up villager per party."""

    def person() -> dict[str, Any]:
        someone = random_person(rng, today)
        return {
            "full_name": someone.name,
            "dob": someone.dob.isoformat(),
            "cccd": someone.cccd,
            "ethnicity": someone.ethnic_group,
        }

    return example_values(form, person, today=today, place=place, pick=rng.choice)


# -- actions ---------------------------------------------------------------------------------


def new_random_dossier(
    tablet: Tablet,
    rng: random.Random,
    *,
    procedure_code: str | None = None,
    name: str | None = None,
    received_at: datetime | None = None,
) -> str:
    procedures = tablet.procedures()
    if procedure_code is not None:
        chosen = tablet.procedure_by_code(procedure_code)
        if chosen is None:
            raise InvalidInput(
                f"Không có thủ tục mã {procedure_code} (no procedure with code {procedure_code})"
            )
    elif procedures:
        chosen = rng.choice(procedures)
    else:
        raise InvalidInput(
            "Chưa có danh mục thủ tục; hãy đồng bộ trước (no procedures yet; sync first)"
        )
    person = random_person(rng, tablet.now().date())
    villages = tablet.villages()
    village = rng.choice(villages) if villages else None
    documents = chosen.get("required_documents") or []
    provided = [i for i in range(len(documents)) if rng.random() < 0.9]
    place = f"{village['name']}, " if village else ""
    commune = tablet.registration.commune_name
    address = f"{place}{tablet.registration.commune_kind} {commune}"
    parties, facts = random_form_values(rng, chosen.get("form"), tablet.now().date(), address)
    return tablet.create_dossier(
        int(chosen["id"]),
        name or person.name,
        applicant_cccd=person.cccd,
        applicant_dob=person.dob,
        applicant_phone=person.phone,
        applicant_address=address,
        channel=Channel.VILLAGE_VISIT,
        village_id=int(village["id"]) if village else None,
        provided_documents=provided,
        received_at=received_at,
        parties=parties,
        facts=facts,
    )


def new_random_feedback(
    tablet: Tablet, rng: random.Random, *, received_at: datetime | None = None
) -> str:
    kind, content = rng.choice(_FEEDBACK)
    person = random_person(rng, tablet.now().date())
    anonymous = rng.random() < 0.3
    return tablet.add_feedback(
        kind,
        content,
        channel=Channel.VILLAGE_VISIT,
        subject=FeedbackSubject.SERVICE.value,
        citizen_name=person.name,
        citizen_phone=person.phone,
        anonymous=anonymous,
        received_at=received_at,
    )


def random_answers(rng: random.Random, form: Mapping[str, Any]) -> dict[str, Any]:
    """Answers to every question of ``form``, mostly satisfied as in real surveys."""
    answers: dict[str, Any] = {}
    for question in form.get("questions") or []:
        qid, kind = str(question.get("id")), question.get("type")
        if kind == "likert5":
            answers[qid] = rng.choices((5, 4, 3, 2, 1), (50, 40, 7, 2, 1))[0]
        elif kind == "yes_no":
            answers[qid] = rng.random() < 0.06
        elif kind in ("single_choice", "multiple_choice"):
            options = [str(o.get("value")) for o in question.get("options") or []]
            if options:
                choice = rng.choice(options)
                answers[qid] = choice if kind == "single_choice" else [choice]
        elif kind == "number":
            answers[qid] = rng.randint(1, 5)
        elif kind == "text" and (question.get("required") or rng.random() < 0.2):
            answers[qid] = rng.choice(_COMMENTS)
    return answers


def new_random_survey(
    tablet: Tablet, rng: random.Random, *, collected_at: datetime | None = None
) -> str:
    forms = tablet.survey_forms()
    if not forms:
        raise InvalidInput(
            "Chưa có phiếu khảo sát đã ban hành; hãy đồng bộ trước "
            "(no published survey form yet; sync first)"
        )
    form = forms[0]
    villages = tablet.villages()
    village = rng.choice(villages) if villages else None
    group = _pick(rng, _ETHNIC_MIX)
    answers = random_answers(rng, form)
    if "q11" in answers and rng.random() < 0.7:
        tongue = _TONGUE.get(group, "vi")
        options = [
            o.get("value")
            for q in form.get("questions") or []
            if q.get("id") == "q11"
            for o in q.get("options") or []
        ]
        if tongue in options:
            answers["q11"] = tongue
    located = rng.random() < 0.7
    return tablet.add_survey_response(
        int(form["id"]),
        answers,
        int(village["id"]) if village else None,
        collected_at=collected_at,
        latitude=round(22.303 + rng.uniform(-0.03, 0.03), 5) if located else None,
        longitude=round(103.89 + rng.uniform(-0.03, 0.03), 5) if located else None,
        age_band=_pick(rng, _AGE_BANDS),
        gender=rng.choice(("male", "female")),
        ethnic_group=group,
    )


@dataclass
class FieldDaySummary:
    dossiers: int = 0
    events: int = 0
    feedback: int = 0
    survey_responses: int = 0
    photos: int = 0
    photo_bytes: int = 0
    operations: int = 0


def record_field_day(
    tablet: Tablet,
    *,
    seed: int = 2026,
    dossiers: int = 40,
    feedback: int = 15,
    surveys: int = 150,
    photos: int = 30,
    photo_size: int = 150_000,
) -> FieldDaySummary:
    """Record QUALITY.md's field day on ``tablet``, offline; returns what was made.

    The day is placed in the eight hours before now, each dossier's timeline a few
    minutes apart, so nothing lies in the future.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible workload, not secrets
    summary = FieldDaySummary()
    before = tablet.store.pending_count()
    now = tablet.now()
    start = now - timedelta(hours=8)
    made: list[str] = []
    for index in range(dossiers):
        received = start + timedelta(minutes=10 * index)
        dossier_id = new_random_dossier(tablet, rng, received_at=received)
        made.append(dossier_id)
        summary.dossiers += 1
        summary.events += 1
        moment = received
        for step in rng.choice(_PATHS):
            moment += timedelta(minutes=1)
            if step == "note":
                tablet.add_note(dossier_id, rng.choice(_NOTES), at=moment)
            else:
                tablet.change_status(dossier_id, step, rng.choice(_NOTES), at=moment)
            summary.events += 1
    for index in range(feedback):
        new_random_feedback(tablet, rng, received_at=start + timedelta(minutes=20 * index + 3))
        summary.feedback += 1
    for index in range(surveys):
        new_random_survey(tablet, rng, collected_at=start + timedelta(minutes=3 * index + 1))
        summary.survey_responses += 1
    for index in range(photos):
        size = photo_size + rng.randint(-photo_size // 10, photo_size // 10)
        data = fake_jpeg(rng, size)
        tablet.attach_photo(
            "dossier",
            made[index % len(made)] if made else "",
            data,
            "image/jpeg",
            filename=f"giay-to-{index + 1:02d}.jpg",
            caption="Ảnh chụp giấy tờ (photo of a paper)",
        )
        summary.photos += 1
        summary.photo_bytes += len(data)
    summary.operations = tablet.store.pending_count() - before
    return summary


# -- output ----------------------------------------------------------------------------------

Out = Callable[[str], None]


def _print(text: str) -> None:
    print(text)


def print_report(report: SyncReport, out: Out = _print, transport: Any = None) -> None:
    if report.ok:
        out("Đồng bộ xong (sync finished)")
    elif report.revoked:
        out(
            "Thiết bị đã bị thu hồi, dữ liệu trên máy được giữ nguyên "
            f"(device revoked, local data kept): {report.error}"
        )
    else:
        out(f"Đồng bộ chưa xong, sẽ thử lại sau (sync incomplete): {report.error}")
    out(f"  Ảnh đã tải lên (photos uploaded): {report.photos_uploaded}")
    out(
        f"  Thao tác đã gửi (operations pushed): {report.pushed} — áp dụng (applied) "
        f"{report.applied}, xung đột (conflicts) {report.conflicts}, "
        f"bị từ chối (rejected) {report.rejected}"
    )
    out(f"  Thay đổi đã nhận (changes pulled): {report.pulled}")
    out(f"  Lượt gọi máy chủ (requests): {report.requests}")
    if isinstance(transport, HttpTransport):
        out(
            f"  Dữ liệu gửi/nhận (bytes up/down, compressed): "
            f"{transport.bytes_sent:,} / {transport.bytes_received:,}"
        )
    if abs(report.skew_ms) > 5 * 60 * 1000:
        out(f"  Cảnh báo: đồng hồ máy lệch {report.skew_ms // 1000} giây (clock skew warning)")
    if report.started_at and report.finished_at:
        seconds = (report.finished_at - report.started_at).total_seconds()
        out(f"  Thời gian (time): {seconds:.1f} s")


def _summary(collection: str, record: Mapping[str, Any]) -> str:
    if collection == "dossier":
        return (
            f"{record.get('receipt_number', '?')}  {record.get('applicant_name', '')}  "
            f"[{record.get('status', '')}]  hẹn trả (due) {record.get('due_date', '-')}"
        )
    if collection == "dossier_event":
        return (
            f"{record.get('occurred_at', '')}  {record.get('kind', '')}  {record.get('note') or ''}"
        )
    if collection == "feedback":
        content = str(record.get("content", ""))[:60]
        return f"[{record.get('kind', '')}/{record.get('status', '')}] {content}"
    if collection == "survey_response":
        return f"{record.get('collected_at', '')}  {len(record.get('answers') or {})} câu trả lời"
    if collection == "attachment":
        size = int(record.get("size") or 0)
        return f"{record.get('filename', '')}  {size:,} B  → {record.get('owner_id', '')}"
    if collection == "sync_conflict":
        return (
            f"{record.get('collection')}.{record.get('field')}: giữ (kept) "
            f"{record.get('kept_value')!r}, mất (lost) {record.get('lost_value')!r} "
            f"[{record.get('reason')}/{record.get('status')}]"
        )
    if collection == "procedure":
        days = record.get("processing_days")
        return f"{record.get('code', '')}  {record.get('name_vi', '')}  ({days} ngày)"
    text = json.dumps({k: v for k, v in record.items() if k != "id"}, ensure_ascii=False)
    return text[:100]


def _parse_value(collection: str, name: str, raw: str) -> Any:
    """``field=value`` from the command line: the text itself if the schema takes it, else JSON."""
    spec = COLLECTIONS[collection].fields.get(name) if collection in COLLECTIONS else None
    if raw == "":
        return None
    if spec is not None and spec.check(raw) is None:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


# -- commands --------------------------------------------------------------------------------


def _cmd_register(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    registration = tablet.register(args.server, args.username, args.password, args.name)
    out(
        f"Đã đăng ký máy số {registration.device_no} của {registration.commune_kind} "
        f"{registration.commune_name} cho {registration.officer_name} "
        f"(registered device {registration.device_no})"
    )
    return 0


def _cmd_new_dossier(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    rng = random.Random(args.seed)  # noqa: S311
    if not args.random and not args.name:
        out("Cần --name hoặc --random (give --name or --random)")
        return 2
    dossier_id = new_random_dossier(tablet, rng, procedure_code=args.procedure_code, name=args.name)
    dossier = tablet.dossier(dossier_id) or {}
    out(
        f"Đã tiếp nhận hồ sơ {dossier.get('receipt_number')} của {dossier.get('applicant_name')}, "
        f"hẹn trả ngày {dossier.get('due_date')} (dossier received): {dossier_id}"
    )
    return 0


def _cmd_new_feedback(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    rng = random.Random(args.seed)  # noqa: S311
    if args.content:
        feedback_id = tablet.add_feedback(args.kind, args.content, channel=Channel.VILLAGE_VISIT)
    else:
        feedback_id = new_random_feedback(tablet, rng)
    out(f"Đã ghi nhận phản ánh, kiến nghị (feedback recorded): {feedback_id}")
    return 0


def _cmd_survey(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    rng = random.Random(args.seed)  # noqa: S311
    for _ in range(args.count):
        new_random_survey(tablet, rng)
    out(f"Đã ghi {args.count} phiếu khảo sát (survey responses recorded)")
    return 0


def _find(tablet: Tablet, record_id: str) -> tuple[str, dict[str, Any]]:
    found = tablet.store.find(record_id)
    if found is None:
        raise InvalidInput(f"Không tìm thấy bản ghi {record_id} (no record {record_id})")
    return found


def _cmd_edit(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    collection, _ = _find(tablet, args.id)
    fields: dict[str, Any] = {}
    for assignment in args.assignments:
        name, sep, raw = assignment.partition("=")
        if not sep:
            out(f"Sai cú pháp '{assignment}', dùng field=value (use field=value)")
            return 2
        fields[name.strip()] = _parse_value(collection, name.strip(), raw)
    op_id = tablet.edit(collection, args.id, **fields)
    if op_id is None:
        out("Không có gì thay đổi (nothing changed)")
    else:
        out(f"Đã lưu, chờ đồng bộ (saved, waiting for sync): {', '.join(sorted(fields))}")
    return 0


def _cmd_status_change(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    tablet.change_status(args.id, args.new_status, args.note)
    out(f"Đã chuyển hồ sơ sang '{args.new_status}' (status changed)")
    return 0


def _cmd_transfer(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    """Hand a dossier over to the commune with this code (Decree 118/2025/NĐ-CP)."""
    communes = {str(u.get("code")): u for u in tablet.communes() if u.get("code")}
    commune = communes.get(args.commune_code)
    if commune is None:
        out(
            f"Không có xã mã {args.commune_code} trong tỉnh; hãy đồng bộ danh mục "
            f"(no commune {args.commune_code} in the province; sync first)"
        )
        return 2
    tablet.hand_over(args.id, int(commune["id"]), args.reason)
    out(
        f"Đã chuyển hồ sơ cho {commune.get('kind') or 'Xã'} {commune.get('name')} giải quyết, "
        f"chờ đồng bộ (handed over to {commune.get('name')}, waiting for sync)"
    )
    return 0


def _cmd_attach(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    collection, _ = _find(tablet, args.id)
    attachment_id = tablet.attach_photo(collection, args.id, Path(args.file), caption=args.caption)
    out(f"Đã đính kèm ảnh (photo attached): {attachment_id}")
    return 0


def _cmd_sync(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    transport = tablet.transport(args.server)
    try:

        def progress(phase: str, done: int, total: int) -> None:
            if args.verbose:
                out(f"  … {phase}: {done}/{total}")

        report = tablet.sync(transport, progress)
    finally:
        transport.close()
    print_report(report, out, transport)
    return 0 if report.ok else 1


def _cmd_status(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    status = tablet.status()
    if tablet.registered:
        reg = tablet.registration
        out(
            f"Máy số {reg.device_no} — {reg.commune_kind} {reg.commune_name} — {reg.officer_name} "
            f"(device {reg.device_no}, server {reg.server_url})"
        )
    else:
        out("Máy chưa đăng ký (not registered)")
    out(f"Chờ gửi (pending operations): {status.pending}")
    last = status.last_sync_at.isoformat() if status.last_sync_at else "chưa bao giờ (never)"
    out(f"Đồng bộ thành công lần cuối (last successful sync): {last}")
    out(f"Xung đột chưa xử lý (open conflicts): {status.open_conflicts}")
    if status.clock_warning:
        out(status.clock_warning)
    out(f"Bị máy chủ từ chối (rejected by the server): {len(status.rejected)}")
    for rejected in status.rejected:
        out(
            f"  - {rejected.op.collection} {rejected.op.record_id}: "
            f"[{rejected.reason}] {rejected.message}"
        )
        for name, message in rejected.errors.items():
            out(f"      {name}: {message}")
    return 0


def _cmd_show(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    if not args.collection:
        counts = tablet.store.collections()
        out("Dữ liệu trên máy (records on this tablet):")
        for collection in sorted(counts):
            out(f"  {collection}: {counts[collection]}")
        out(f"Chờ gửi (pending operations): {tablet.store.pending_count()}")
        return 0
    records = tablet.store.list_records(args.collection, limit=args.limit)
    for record in records:
        mark = "✓" if tablet.on_server(args.collection, record["id"]) else "…"
        out(f"{mark} {record['id']}  {_summary(args.collection, record)}")
    out(
        f"{len(records)} bản ghi; ✓ = đã lên máy chủ, … = chờ gửi "
        f"(records; ✓ = on the server, … = waiting)"
    )
    return 0


def _cmd_conflicts(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    conflicts = tablet.conflicts()
    if not conflicts:
        out("Không có xung đột (no open conflicts)")
    for conflict in conflicts:
        out(f"{conflict['id']}  {_summary('sync_conflict', conflict)}")
    return 0


def _cmd_resolve(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    tablet.resolve_conflict(args.id, args.resolution)
    out(f"Đã xử lý xung đột: {args.resolution} (conflict resolved)")
    return 0


def _cmd_field_day(tablet: Tablet, args: argparse.Namespace, out: Out) -> int:
    summary = record_field_day(tablet, seed=args.seed)
    out("Ngày làm việc tại thôn đã ghi xong, chưa đồng bộ (field day recorded offline):")
    out(f"  Hồ sơ (dossiers): {summary.dossiers}, sự kiện (timeline events): {summary.events}")
    out(f"  Phản ánh, kiến nghị (feedback): {summary.feedback}")
    out(f"  Phiếu khảo sát (survey responses): {summary.survey_responses}")
    out(f"  Ảnh (photos): {summary.photos}, {summary.photo_bytes:,} B")
    out(f"  Thao tác chờ gửi (operations waiting): {summary.operations}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mobile.simulator",
        description="Máy tính bảng mô phỏng (a simulated Một Cửa Field tablet)",
    )
    parser.add_argument("--db", required=True, help="the tablet's SQLite file")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("register", help="đăng ký máy (register with the server)")
    p.add_argument("--server", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--name", default="Máy tính bảng mô phỏng")
    p.set_defaults(handler=_cmd_register)

    p = commands.add_parser("new-dossier", help="tiếp nhận hồ sơ (receive a dossier)")
    p.add_argument("--procedure-code")
    p.add_argument("--name", help="applicant's full name")
    p.add_argument("--random", action="store_true", help="a made-up applicant")
    p.add_argument("--seed", type=int)
    p.set_defaults(handler=_cmd_new_dossier)

    p = commands.add_parser("new-feedback", help="ghi phản ánh (record feedback)")
    p.add_argument(
        "--kind", default=FeedbackKind.RECOMMENDATION.value, choices=[k.value for k in FeedbackKind]
    )
    p.add_argument("--content")
    p.add_argument("--seed", type=int)
    p.set_defaults(handler=_cmd_new_feedback)

    p = commands.add_parser("survey", help="ghi phiếu khảo sát (record survey responses)")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--seed", type=int)
    p.set_defaults(handler=_cmd_survey)

    p = commands.add_parser("edit", help="sửa bản ghi (edit fields: field=value …)")
    p.add_argument("id")
    p.add_argument("assignments", nargs="+", metavar="field=value")
    p.set_defaults(handler=_cmd_edit)

    p = commands.add_parser("status-change", help="chuyển trạng thái hồ sơ (change status)")
    p.add_argument("id")
    p.add_argument("new_status", choices=[s.value for s in DossierStatus])
    p.add_argument("--note")
    p.set_defaults(handler=_cmd_status_change)

    p = commands.add_parser(
        "transfer", help="chuyển hồ sơ cho xã khác giải quyết (hand a dossier over)"
    )
    p.add_argument("id")
    p.add_argument("commune_code", help="mã xã giải quyết (code of the settling commune)")
    p.add_argument("--reason", help="lý do (needed when handing over again)")
    p.set_defaults(handler=_cmd_transfer)

    p = commands.add_parser("attach", help="đính kèm ảnh (attach a photo)")
    p.add_argument("id")
    p.add_argument("file")
    p.add_argument("--caption")
    p.set_defaults(handler=_cmd_attach)

    p = commands.add_parser("sync", help="đồng bộ (sync now)")
    p.add_argument("--server", help="override the server URL given at registration")
    p.add_argument("--verbose", "-v", action="store_true")
    p.set_defaults(handler=_cmd_sync)

    p = commands.add_parser("status", help="tình trạng (pending, last sync, rejected)")
    p.set_defaults(handler=_cmd_status)

    p = commands.add_parser("show", help="xem dữ liệu (show records)")
    p.add_argument("collection", nargs="?")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=_cmd_show)

    p = commands.add_parser("conflicts", help="xung đột (open conflicts)")
    p.set_defaults(handler=_cmd_conflicts)

    p = commands.add_parser("resolve", help="xử lý xung đột (resolve a conflict)")
    p.add_argument("id")
    p.add_argument("resolution", choices=["kept", "overturned"])
    p.set_defaults(handler=_cmd_resolve)

    p = commands.add_parser("field-day", help="một ngày tại thôn (record the field day offline)")
    p.add_argument("--seed", type=int, default=2026)
    p.set_defaults(handler=_cmd_field_day)
    return parser


def main(argv: Sequence[str] | None = None, out: Out = _print) -> int:
    args = build_parser().parse_args(argv)
    with Tablet(args.db) as tablet:
        try:
            code: int = args.handler(tablet, args, out)
        except InvalidInput as error:
            out(f"Không lưu được (not saved): {error.message}")
            for name, message in error.errors.items():
                out(f"  {name}: {message}")
            return 2
        except SyncError as error:
            out(f"Lỗi (error): {error}")
            return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
