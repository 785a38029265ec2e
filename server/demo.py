"""Demo data (dữ liệu mẫu): a mountain province with six communes, ready to show.

``seed_demo_province`` fills an empty database with the procedure catalog, a province
and its communes and villages, officers with their tablets, dossiers in every stage of
the workflow (some overdue, some due today, some returned late with a written
apology), feedback and a published satisfaction survey with its responses.

Everything is placed relative to ``today`` and drawn from ``random.Random(seed)``, so a
given seed and day always give the same people, receipt numbers and dates (record ids
are UUIDv7 and differ from run to run). No receipt, event, answer or response is dated
after 07:00 today, so the demo reads as if the office is about to open whatever the hour
it is seeded (``created_at``/``updated_at`` keep the real time of seeding).

Administrative codes, names of people and citizen IDs are made up but plausible; none
is meant to be real.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from server.demo_anywhere import communes_by_name, seed_filing_anywhere
from server.models import (
    AdminUnit,
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
from server.scoping import Scope
from server.services import sipas
from server.services.catalog import active_procedures, load_catalog
from server.services.changes import stamp, stamp_global
from server.services.devices import register_device
from server.services.dossiers import ApplicantInput, DossierInput, create_dossier
from server.services.officers import create_officer
from server.translatable import msg
from sync.domain import (
    DOSSIER_TRANSITIONS,
    FEEDBACK_RESPONSE_DAYS,
    OPEN_STATUSES,
    Channel,
    DossierStatus,
    FeedbackKind,
    FeedbackStatus,
    FeedbackSubject,
)
from sync.forms import example_values
from sync.ids import new_id
from sync.workdays import (
    OFFICE_TZ,
    add_working_days,
    due_date,
    effective_receipt_day,
    is_working_day,
    next_working_day,
    working_days_between,
)

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "seed_demo_province"]

#: One password for every demo account: this is demo data, never a real installation.
DEMO_PASSWORD = "motcua2026"  # noqa: S105 - published on purpose, demo only

T = TypeVar("T")
S = DossierStatus

# ---------------------------------------------------------------------------------------
# The province (codes are plausible, not official)
# ---------------------------------------------------------------------------------------

PROVINCE_CODE = "15"
PROVINCE_NAME = "Lào Cai"


@dataclass(frozen=True)
class _CommuneSpec:
    code: str
    kind: str
    name: str
    slug: str  # ASCII, for user names
    villages: tuple[tuple[str, str], ...]  # (kind, name)
    ethnic_mix: tuple[tuple[str, int], ...]  # (ethnic group, weight) of the residents
    leader: str
    officers: tuple[str, str]  # Tư pháp - Hộ tịch, Văn phòng - Thống kê
    centre: tuple[float, float]  # latitude, longitude of the commune office
    tablets: int


COMMUNES: tuple[_CommuneSpec, ...] = (
    _CommuneSpec(
        code="02929",
        kind="Phường",
        name="Sa Pa",
        slug="sapa",
        villages=(
            ("Tổ dân phố", "Cầu Mây"),
            ("Tổ dân phố", "Hàm Rồng"),
            ("Tổ dân phố", "Xuân Viên"),
            ("Tổ dân phố", "Phan Si"),
            ("Tổ dân phố", "Ô Quý Hồ"),
            ("Thôn", "Sả Séng"),
        ),
        ethnic_mix=(("Kinh", 45), ("Mông", 30), ("Dao", 15), ("Giáy", 5), ("Tày", 5)),
        leader="Nguyễn Văn Hùng",
        officers=("Phạm Thị Thu Hà", "Lù Thị Lan"),
        centre=(22.3364, 103.8438),
        tablets=2,
    ),
    _CommuneSpec(
        code="02965",
        kind="Xã",
        name="Tả Van",
        slug="tavan",
        villages=(
            ("Thôn", "Tả Van Giáy"),
            ("Thôn", "Tả Van Mông"),
            ("Thôn", "Lao Chải"),
            ("Thôn", "Séo Mí Tỷ"),
            ("Thôn", "Giàng Tả Chải Mông"),
            ("Thôn", "Lồ Lao Chải"),
            ("Thôn", "Nậm Cang"),
        ),
        ethnic_mix=(("Mông", 60), ("Giáy", 18), ("Dao", 14), ("Kinh", 8)),
        leader="Giàng A Páo",
        officers=("Sùng Thị Mai", "Lò Văn Thắng"),
        centre=(22.3030, 103.8900),
        tablets=2,
    ),
    _CommuneSpec(
        code="02665",
        kind="Xã",
        name="Y Tý",
        slug="yty",
        villages=(
            ("Thôn", "Y Tý"),
            ("Thôn", "Choản Thèn"),
            ("Thôn", "Mò Phú Chải"),
            ("Thôn", "Sín Chải"),
            ("Thôn", "Hồng Ngài"),
            ("Thôn", "Ngải Thầu"),
            ("Thôn", "Phìn Hồ"),
        ),
        ethnic_mix=(("Hà Nhì", 45), ("Mông", 40), ("Dao", 8), ("Kinh", 7)),
        leader="Ly Giờ Chừ",
        officers=("Chu Thị Phà", "Trần Quang Huy"),
        centre=(22.6350, 103.6200),
        tablets=1,
    ),
    _CommuneSpec(
        code="02752",
        kind="Xã",
        name="Mường Khương",
        slug="muongkhuong",
        villages=(
            ("Thôn", "Lùng Khấu Nhin"),
            ("Thôn", "Sả Hồ"),
            ("Thôn", "Na Pên"),
            ("Thôn", "Tả Thàng"),
            ("Thôn", "Cốc Chứ"),
            ("Thôn", "Nấm Lư"),
        ),
        ethnic_mix=(("Mông", 50), ("Dao", 15), ("Tày", 15), ("Kinh", 15), ("Giáy", 5)),
        leader="Vàng Văn Chiến",
        officers=("Lý Láo Tả", "Nguyễn Thị Hoa"),
        centre=(22.7700, 104.1200),
        tablets=1,
    ),
    _CommuneSpec(
        code="02839",
        kind="Xã",
        name="Bắc Hà",
        slug="bacha",
        villages=(
            ("Thôn", "Bản Phố"),
            ("Thôn", "Na Hối Tày"),
            ("Thôn", "Nậm Mòn"),
            ("Thôn", "Na Kim"),
            ("Thôn", "Bản Giàng"),
            ("Thôn", "Sín Chải"),
        ),
        ethnic_mix=(("Mông", 45), ("Tày", 25), ("Kinh", 15), ("Dao", 10), ("Giáy", 5)),
        leader="Hoàng Văn Thanh",
        officers=("Nông Thị Hường", "Giàng Seo Chứ"),
        centre=(22.5400, 104.2900),
        tablets=2,
    ),
    _CommuneSpec(
        code="04312",
        kind="Xã",
        name="Mù Cang Chải",
        slug="mucangchai",
        villages=(
            ("Bản", "Lìm Mông"),
            ("Bản", "Chế Cu Nha"),
            ("Bản", "La Pán Tẩn"),
            ("Bản", "Dế Xu Phình"),
            ("Bản", "Púng Luông"),
            ("Bản", "Nậm Khắt"),
            ("Bản", "Khau Phạ"),
            ("Bản", "Kim Nọi"),
        ),
        ethnic_mix=(("Mông", 82), ("Kinh", 10), ("Dao", 8)),
        leader="Lý A Sình",
        officers=("Mùa Thị Dua", "Đỗ Minh Tuấn"),
        centre=(21.8530, 104.0900),
        tablets=1,
    ),
)

SYSTEM_ADMIN = ("admin", "Trần Minh Đức", "Quản trị hệ thống")
PROVINCE_ADMIN = ("tinh.laocai", "Hoàng Thị Thu Trang", "Chuyên viên Sở Nội vụ tỉnh Lào Cai")
OFFICER_TITLES = ("Công chức Tư pháp - Hộ tịch", "Công chức Văn phòng - Thống kê")


def _usernames(slug: str) -> tuple[str, str, str]:
    """Leader, civil-status officer and office officer of a commune."""
    return f"lanhdao.{slug}", f"hotich.{slug}", f"vanphong.{slug}"


#: Demo accounts (username, password, who), printed by ``motcua demo``.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    (
        SYSTEM_ADMIN[0],
        DEMO_PASSWORD,
        msg("Quản trị hệ thống, mọi xã"),
    ),
    (
        PROVINCE_ADMIN[0],
        DEMO_PASSWORD,
        msg("Quản trị tỉnh Lào Cai, 6 xã"),
    ),
    (
        _usernames("tavan")[0],
        DEMO_PASSWORD,
        msg("Chủ tịch UBND xã Tả Van"),
    ),
    (
        _usernames("tavan")[1],
        DEMO_PASSWORD,
        msg("Công chức Tư pháp - Hộ tịch xã Tả Van"),
    ),
    (
        _usernames("sapa")[0],
        DEMO_PASSWORD,
        msg("Chủ tịch UBND phường Sa Pa"),
    ),
    (
        _usernames("sapa")[1],
        DEMO_PASSWORD,
        msg("Công chức Tư pháp - Hộ tịch phường Sa Pa"),
    ),
]

# ---------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NameParts:
    surnames: tuple[str, ...]
    male_middles: tuple[str, ...]
    male_givens: tuple[str, ...]
    female_middles: tuple[str, ...]
    female_givens: tuple[str, ...]


NAME_PARTS: dict[str, _NameParts] = {
    "Kinh": _NameParts(
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô"),
        ("Văn", "Đức", "Minh", "Quang", "Xuân"),
        ("Hùng", "Dũng", "Tuấn", "Nam", "Long", "Sơn", "Thắng", "Khánh", "Hải", "Cường"),
        ("Thị", "Thu", "Thanh", "Ngọc"),
        ("Hoa", "Lan", "Hương", "Hà", "Nga", "Thảo", "Huyền", "Trang", "Hằng", "Yến"),
    ),
    "Mông": _NameParts(
        ("Giàng", "Sùng", "Thào", "Vàng", "Lý", "Hầu", "Mùa", "Lầu", "Sình", "Cư"),
        ("A", "Seo", "Văn"),
        ("Páo", "Chứ", "Sử", "Sình", "Lử", "Dế", "Tủa", "Chư", "Phừ", "Dình", "Pó", "Lồng"),
        ("Thị",),
        ("Mai", "Dợ", "Mỷ", "Sua", "Dua", "Sú", "Mỉ", "Chía", "Cở", "Say", "Mẩy", "Chi"),
    ),
    "Dao": _NameParts(
        ("Lý", "Tẩn", "Triệu", "Chảo", "Phàn", "Bàn", "Đặng"),
        ("Láo", "Văn", "A", "Quẩy"),
        ("Tả", "Lở", "Sử", "Kiềm", "Vần", "Chài", "Phù", "Quáng"),
        ("Thị", "Tả", "Mý", "Sử"),
        ("Mẩy", "Mai", "Xuân", "Phẩy", "Lai", "Sành", "Dần"),
    ),
    "Tày": _NameParts(
        ("Hoàng", "Nông", "Lương", "Ma", "Vi", "La", "Đàm", "Lục"),
        ("Văn", "Đức"),
        ("Thanh", "Dũng", "Khiêm", "Toán", "Bình", "Hưng", "Sáng"),
        ("Thị",),
        ("Hường", "Nhung", "Duyên", "Thoa", "Liên", "Hiền", "Thơm"),
    ),
    "Giáy": _NameParts(
        ("Lù", "Lò", "Hoàng", "Vàng", "Sần", "Lồ", "Lèng"),
        ("Văn",),
        ("Pảo", "Chín", "Vịnh", "Lợi", "Sinh", "Phong", "Quý"),
        ("Thị",),
        ("Lan", "Sen", "Chiêm", "Mai", "Ngần", "Nhung", "Thìn"),
    ),
    "Hà Nhì": _NameParts(
        ("Chu", "Ly", "Pờ", "Sừ", "Phu"),
        ("Lù", "Giờ", "Gió", "Xá"),
        ("Xá", "Chừ", "Pứ", "Tư", "Hừ", "Chà", "Dì"),
        ("Thị",),
        ("Bé", "Phà", "Chà", "Xè", "Khừ", "Mé", "Lan"),
    ),
}

#: Province-of-birth prefixes of citizen IDs: mostly born in the province itself.
CCCD_PROVINCES = (("010", 82), ("015", 8), ("002", 4), ("001", 2), ("022", 2), ("036", 2))


@dataclass(frozen=True)
class _Person:
    name: str
    male: bool
    ethnic_group: str
    dob: date
    cccd: str | None
    phone: str | None


def _form_person(
    rng: random.Random, ethnic_mix: Sequence[tuple[str, int]], received_at: datetime
) -> dict[str, Any]:
    """A party of a demo dossier's form (``sync.forms.example_values``), with a valid CCCD."""
    someone = _person(rng, ethnic_mix, received_at.astimezone(OFFICE_TZ).date())
    century_sex = 2 * ((someone.dob.year - 1900) // 100) + (0 if someone.male else 1)
    cccd = someone.cccd or f"010{century_sex}{someone.dob.year % 100:02d}{rng.randrange(10**6):06d}"
    return {
        "full_name": someone.name,
        "dob": someone.dob.isoformat(),
        "cccd": cccd,
        "ethnicity": someone.ethnic_group,
    }


def _pick(rng: random.Random, weighted: Sequence[tuple[T, int | float]]) -> T:
    values = [value for value, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(values, weights)[0]


def _person(rng: random.Random, ethnic_mix: Sequence[tuple[str, int]], today: date) -> _Person:
    group = _pick(rng, ethnic_mix)
    parts = NAME_PARTS[group]
    male = rng.random() < 0.5
    middles, givens = (
        (parts.male_middles, parts.male_givens)
        if male
        else (parts.female_middles, parts.female_givens)
    )
    name = f"{rng.choice(parts.surnames)} {rng.choice(middles)} {rng.choice(givens)}"
    age_days = rng.randint(18 * 365 + 5, 78 * 365)
    dob = today - timedelta(days=age_days)
    # A few elderly villagers still have no chip ID card; most do (Luật Căn cước 2023).
    cccd = None if rng.random() < 0.04 else _cccd(rng, dob, male)
    phone = None if rng.random() < 0.2 else f"09{rng.randrange(10**8):08d}"
    return _Person(name, male, group, dob, cccd, phone)


def _cccd(rng: random.Random, born: date, male: bool) -> str:
    """A made-up citizen ID whose century/sex digit and year agree with the birth date."""
    province = _pick(rng, CCCD_PROVINCES)
    century_sex = 2 * ((born.year - 1900) // 100) + (0 if male else 1)
    return f"{province}{century_sex}{born.year % 100:02d}{rng.randrange(10**6):06d}"


# ---------------------------------------------------------------------------------------
# Time helpers: every timestamp is an office-time instant before ``limit`` (today 07:00)
# ---------------------------------------------------------------------------------------


def _local(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), OFFICE_TZ)


def _office_minute(rng: random.Random, *, late_share: float = 0.0) -> int:
    """A minute of the office day (07:30-11:30, 13:30-17:00); ``late_share`` after 15:00."""
    roll = rng.random()
    if roll < late_share:
        return rng.randint(15 * 60, 16 * 60 + 50)
    if roll < late_share + (1 - late_share) * 0.65:
        return rng.randint(7 * 60 + 30, 11 * 60 + 20)
    return rng.randint(13 * 60 + 30, 14 * 60 + 59)


def _working_days_back(day: date, n: int) -> date:
    """The ``n``-th working day before ``day`` (n >= 1)."""
    current = day
    while n > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            n -= 1
    return current


def _between(rng: random.Random, first: date, last: date) -> date:
    """A random working day in ``[first, last]``; both must be working days."""
    return add_working_days(first, rng.randint(0, max(0, working_days_between(first, last))))


class _Clock:
    """Strictly increasing office-hour instants for one record's timeline."""

    def __init__(self, rng: random.Random, start: datetime, limit: datetime) -> None:
        self.rng = rng
        self.last = start
        self.limit = limit

    def at(self, day: date) -> datetime | None:
        """An instant on ``day`` after the previous one, or None if none fits before the limit."""
        moment = _local(day, _office_minute(self.rng, late_share=0.2))
        if moment <= self.last:
            moment = self.last + timedelta(minutes=self.rng.randint(5, 75))
            if moment.astimezone(OFFICE_TZ).time() > time(17, 15):
                following = next_working_day(moment.astimezone(OFFICE_TZ).date())
                moment = _local(following, self.rng.randint(7 * 60 + 30, 9 * 60))
        if moment >= self.limit:
            return None
        self.last = moment
        return moment


# ---------------------------------------------------------------------------------------
# Dossier life cycles
# ---------------------------------------------------------------------------------------

#: Share of the catalogue's weight by field: a commune's counter is mostly civil status
#: (hộ tịch) and certification (chứng thực).
FIELD_WEIGHTS = {
    "ho_tich": 45.0,
    "chung_thuc": 30.0,
    "bao_tro_xa_hoi": 8.0,
    "cu_tru": 5.0,
    "dat_dai": 2.5,
    "ho_kinh_doanh": 4.0,
    "nguoi_co_cong": 3.0,
    "thi_dua_khen_thuong": 1.0,
}
#: The everyday and the rare procedures inside a field, found by words of their names;
#: the first match counts.
NAME_BOOSTS = (
    ("liên thông", 0.6),
    ("kết hợp nhận cha", 0.4),
    ("đăng ký lại", 0.5),
    ("phân chia di sản", 0.4),
    ("sửa đổi, bổ sung, hủy bỏ hợp đồng", 0.4),
    ("bản sao có chứng thực từ bản chính hợp đồng", 0.5),
    ("bản sao từ bản chính giấy tờ", 5.0),
    ("đăng ký khai sinh", 3.0),
    ("chứng thực chữ ký", 2.5),
    ("kết hôn", 2.0),
    ("tình trạng hôn nhân", 2.0),
    ("khai tử", 1.5),
)

CHANNELS = (
    (Channel.COUNTER, 56),
    (Channel.VILLAGE_VISIT, 34),
    (Channel.ONLINE, 7),
    (Channel.POST, 3),
)

#: Dossiers whose due date has passed: nearly all closed, most returned on time.
PAST_SCENARIOS = (
    ("on_time", 60),
    ("supplement_returned", 7),
    ("late", 10),
    ("rejected", 5),
    ("refused", 5),
    ("supplement_refused", 2),
    ("withdrawn", 4),
    ("stopped", 2),
    ("approved_waiting", 3),
)
#: Dossiers not yet due.
OPEN_SCENARIOS = (
    ("received", 28),
    ("in_progress", 35),
    ("needs_supplement", 10),
    ("approved_waiting", 8),
    ("early_returned", 12),
    ("refused", 4),
    ("withdrawn", 3),
)
#: Dossiers kept open past their due date (quá hạn).
OVERDUE_SCENARIOS = (("in_progress", 60), ("needs_supplement", 25), ("received", 15))

STATUS_NOTES: dict[DossierStatus, tuple[str, ...]] = {
    S.IN_PROGRESS: (
        "Chuyển công chức chuyên môn giải quyết",
        "Đang xác minh thông tin tại thôn",
        "",
    ),
    S.NEEDS_SUPPLEMENT: (
        "Thiếu bản sao giấy chứng sinh, đã ra phiếu yêu cầu bổ sung",
        "Tờ khai chưa có chữ ký của người yêu cầu, đề nghị bổ sung",
        "Cần bổ sung giấy tờ chứng minh nơi cư trú",
        "Thiếu văn bản ủy quyền có chứng thực",
    ),
    S.REFUSED: (
        "Hồ sơ không thuộc thẩm quyền giải quyết của UBND xã",
        "Người yêu cầu không bổ sung giấy tờ theo phiếu yêu cầu bổ sung",
        "Yêu cầu trùng với hồ sơ đã được giải quyết trước đây",
    ),
    S.APPROVED: ("Lãnh đạo UBND đã ký duyệt", ""),
    S.REJECTED: (
        "Không đủ điều kiện theo quy định, đã trả lời bằng văn bản nêu rõ lý do",
        "Kết quả xác minh tại thôn không khớp với nội dung đề nghị",
    ),
    S.RESULT_RETURNED: (
        "Công dân đã nhận kết quả tại Trung tâm Phục vụ hành chính công",
        "Công dân đã nhận kết quả, ký sổ theo dõi",
    ),
    S.WITHDRAWN: (
        "Công dân có đơn xin rút hồ sơ",
        "Công dân chuyển nơi cư trú, xin rút hồ sơ",
    ),
    # Thông báo dừng giải quyết hồ sơ (form 05, Circular 03/2025/TT-VPCP).
    S.STOPPED: (
        "Công dân có đơn đề nghị dừng giải quyết hồ sơ",
        "Hồ sơ có tranh chấp, đã chuyển Tòa án nhân dân giải quyết theo thẩm quyền",
    ),
}

APOLOGY_REASONS = (
    "Hồ sơ cần xác minh thêm tại thôn, bản nên chưa giải quyết kịp thời hạn.",
    "Đường truyền Internet bị gián đoạn nhiều ngày, chưa tra cứu được cơ sở dữ liệu hộ tịch.",
    "Mưa lũ gây sạt lở đường giao thông, cán bộ chưa đi xác minh được.",
    "Công chức phụ trách đi tập huấn, việc giải quyết hồ sơ bị chậm.",
    "Phải chờ ý kiến của cơ quan chuyên môn cấp tỉnh.",
)


@dataclass
class _Plan:
    """One dossier to create and the life it will have had by today."""

    received_at: datetime
    procedure: Procedure
    channel: Channel
    village: AdminUnit
    receiver: Officer | None
    person: _Person
    scenario: str
    steps: list[tuple[DossierStatus, date]] = field(default_factory=list)
    missing_document: int | None = None
    apology: tuple[date, date] | None = None  # (issued on, new due date)


@dataclass
class _Commune:
    spec: _CommuneSpec
    unit: AdminUnit
    villages: list[AdminUnit]
    leader: Officer
    officers: list[Officer]
    device_of: dict[int, str] = field(default_factory=dict)  # officer id → device id
    dossiers: list[Dossier] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)  # ids of dossiers decided "no"


def _spread(
    rng: random.Random, first: date, last: date, statuses: Sequence[DossierStatus]
) -> list[tuple[DossierStatus, date]]:
    """Place ``statuses`` on working days from ``first`` to ``last``, the last on ``last``."""
    if not statuses or last < first:
        return []
    span = working_days_between(first, last)
    offsets = [*sorted(rng.randint(0, span) for _ in statuses[:-1]), span]
    return [(s, add_working_days(first, k)) for s, k in zip(statuses, offsets, strict=True)]


def _life(
    rng: random.Random, plan: _Plan, *, last_day: date
) -> tuple[list[tuple[DossierStatus, date]], tuple[date, date] | None]:
    """The status changes of a dossier (each on a day) and its apology, if any."""
    received_day = effective_receipt_day(plan.received_at)
    days = plan.procedure.processing_days
    due = due_date(plan.received_at, days)
    same_day = days == 0
    first, cap = received_day, min(due, last_day)
    work = [] if same_day else [S.IN_PROGRESS]
    scenario = plan.scenario
    apology: tuple[date, date] | None = None

    def until(day: date) -> date:
        return min(day, last_day)

    if scenario == "on_time":
        end = due if rng.random() < 0.5 else _between(rng, first, due)
        return _spread(rng, first, until(end), [*work, S.APPROVED, S.RESULT_RETURNED]), None
    if scenario == "supplement_returned":
        statuses = [S.NEEDS_SUPPLEMENT, S.IN_PROGRESS, S.APPROVED, S.RESULT_RETURNED]
        return _spread(rng, first, cap, statuses), None
    if scenario == "late":
        end = until(add_working_days(due, rng.randint(1, 6)))
        steps = _spread(rng, first, end, [*work, S.APPROVED, S.RESULT_RETURNED])
        late_by = working_days_between(due, end)
        if late_by > 0 and rng.random() < 0.7:
            issued = due if same_day else _working_days_back(due, 1)
            apology = (max(issued, first), add_working_days(due, max(late_by, rng.randint(2, 5))))
        return steps, apology
    if scenario == "rejected":
        end = _between(rng, first, due)
        return _spread(rng, first, until(end), [*work, S.REJECTED, S.RESULT_RETURNED]), None
    if scenario == "refused":
        return _spread(rng, first, until(first), [S.REFUSED]), None
    if scenario == "supplement_refused":
        end = until(add_working_days(first, rng.randint(5, 15)))
        return _spread(rng, first, end, [S.NEEDS_SUPPLEMENT, S.REFUSED]), None
    if scenario == "withdrawn":
        end = until(_between(rng, first, due))
        return _spread(rng, first, end, [*work[: rng.randint(0, 1)], S.WITHDRAWN]), None
    if scenario == "stopped":
        end = until(_between(rng, first, due))
        return _spread(rng, first, end, [*work[: rng.randint(0, 1)], S.STOPPED]), None
    if scenario == "approved_waiting":
        end = until(_between(rng, first, due))
        return _spread(rng, first, end, [*work, S.APPROVED]), None
    if scenario == "early_returned":
        end = _between(rng, first, until(due)) if first <= last_day else first
        return _spread(rng, first, until(end), [*work, S.APPROVED, S.RESULT_RETURNED]), None
    if scenario == "in_progress":
        if first > last_day:
            return [], None
        return _spread(rng, first, _between(rng, first, cap), [S.IN_PROGRESS]), None
    if scenario == "needs_supplement":
        if first > last_day:
            return [], None
        statuses = [S.NEEDS_SUPPLEMENT]
        if not same_day and rng.random() < 0.5:
            statuses = [S.IN_PROGRESS, S.NEEDS_SUPPLEMENT]
        return _spread(rng, first, _between(rng, first, cap), statuses), None
    assert scenario == "received", scenario
    return [], None


def _overdue_apology(rng: random.Random, plan: _Plan) -> tuple[date, date] | None:
    if rng.random() >= 0.5:
        return None
    received_day = effective_receipt_day(plan.received_at)
    due = due_date(plan.received_at, plan.procedure.processing_days)
    issued = due if due == received_day else _working_days_back(due, 1)
    return issued, add_working_days(due, rng.randint(3, 8))


def _procedure_weights(procedures: Sequence[Procedure]) -> list[float]:
    per_field: dict[str, int] = {}
    for procedure in procedures:
        per_field[procedure.field] = per_field.get(procedure.field, 0) + 1
    weights = []
    for procedure in procedures:
        weight = FIELD_WEIGHTS.get(procedure.field, 1.0) / per_field[procedure.field]
        name = procedure.name_vi.lower()
        weight *= next((boost for words, boost in NAME_BOOSTS if words in name), 1.0)
        weights.append(weight)
    return weights


def _plan_dossiers(
    rng: random.Random,
    commune: _Commune,
    procedures: Sequence[Procedure],
    weights: Sequence[float],
    *,
    count: int,
    today: date,
    limit: datetime,
) -> list[_Plan]:
    last_day = _working_days_back(today, 1)
    window = [
        day for day in (today - timedelta(days=n) for n in range(1, 121)) if is_working_day(day)
    ]
    overdue = max(1, -(-count * rng.randint(9, 12) // 100)) if count else 0
    due_today = min(count - overdue, max(1, count * 3 // 100)) if is_working_day(today) else 0
    with_days = [(p, w) for p, w in zip(procedures, weights, strict=True) if p.processing_days >= 1]
    if not with_days:
        due_today = 0
    plans: list[_Plan] = []
    for index in range(count):
        channel = _pick(rng, CHANNELS)
        kind = "overdue" if index < overdue else "due_today" if index < overdue + due_today else ""
        if kind == "due_today":
            procedure = _pick(rng, with_days)
        else:
            procedure = rng.choices(list(procedures), weights)[0]
        days = procedure.processing_days
        if kind == "overdue":
            late = 1 + min(int(rng.expovariate(1 / 4)), 19)
            received_at = _local(_working_days_back(today, late + days), _office_minute(rng))
        elif kind == "due_today":
            received_at = _local(_working_days_back(today, days), _office_minute(rng))
        elif channel == Channel.ONLINE and rng.random() < 0.3:
            # Online submissions arrive at any hour, weekends too.
            day = today - timedelta(days=rng.randint(1, 120))
            received_at = _local(day, rng.randint(6 * 60, 22 * 60 + 30))
        elif channel == Channel.VILLAGE_VISIT:
            minute = _office_minute(rng, late_share=0.1)
            received_at = _local(rng.choice(window), max(minute, 8 * 60 + 30))
        else:
            received_at = _local(rng.choice(window), _office_minute(rng, late_share=0.2))
        received_at = min(received_at, limit - timedelta(hours=12))
        if kind == "overdue":
            scenario = _pick(rng, OVERDUE_SCENARIOS)
        elif kind == "due_today":
            scenario = _pick(rng, (("in_progress", 7), ("received", 3)))
        elif due_date(received_at, days) < today:
            scenario = _pick(rng, PAST_SCENARIOS)
        else:
            scenario = _pick(rng, OPEN_SCENARIOS)
        receiver: Officer | None = None  # online: nobody at a counter
        if channel != Channel.ONLINE:
            receiver = rng.choice(commune.officers) if rng.random() < 0.9 else commune.leader
        plan = _Plan(
            received_at=received_at,
            procedure=procedure,
            channel=channel,
            village=rng.choice(commune.villages),
            receiver=receiver,
            person=_person(rng, commune.spec.ethnic_mix, today),
            scenario=scenario,
        )
        plan.steps, plan.apology = _life(rng, plan, last_day=last_day)
        if kind == "overdue":
            plan.apology = _overdue_apology(rng, plan)
        required = [i for i, doc in enumerate(procedure.required_documents) if doc.get("required")]
        if required and any(s == S.NEEDS_SUPPLEMENT for s, _ in plan.steps):
            plan.missing_document = rng.choice(required)
        plans.append(plan)
    plans.sort(key=lambda p: p.received_at)
    return plans


def _create_dossiers(
    session: Session,
    rng: random.Random,
    commune: _Commune,
    plans: Sequence[_Plan],
    *,
    limit: datetime,
    counts: dict[str, int],
) -> None:
    province_name = f"tỉnh {PROVINCE_NAME}"
    for plan in plans:
        documents = plan.procedure.required_documents
        provided = [
            i
            for i, doc in enumerate(documents)
            if i != plan.missing_document and (doc.get("required") or rng.random() < 0.3)
        ]
        device_id = (
            commune.device_of.get(plan.receiver.id)
            if plan.receiver is not None and plan.channel != Channel.POST
            else None
        )
        person = plan.person
        address = (
            f"{plan.village.full_name}, {commune.unit.kind.lower()} "
            f"{commune.unit.name}, {province_name}"
        )
        # Its own generator, so the rest of the demo stays the same draw for draw.
        forms_rng = random.Random(f"{commune.unit.id}-{plan.received_at.isoformat()}")  # noqa: S311 demo data
        parties, facts = example_values(
            plan.procedure.form,
            functools.partial(_form_person, forms_rng, commune.spec.ethnic_mix, plan.received_at),
            today=plan.received_at.astimezone(OFFICE_TZ).date(),
            place=address,
            pick=forms_rng.choice,
        )
        dossier = create_dossier(
            session,
            DossierInput(
                commune_id=commune.unit.id,
                procedure_id=plan.procedure.id,
                applicant=ApplicantInput(
                    name=person.name,
                    cccd=person.cccd,
                    dob=person.dob,
                    phone=person.phone,
                    address=address,
                ),
                parties=parties,
                facts=facts,
                channel=plan.channel,
                village_id=plan.village.id,
                received_at=plan.received_at,
                provided_documents=provided,
                note=(
                    "Tiếp nhận lưu động tại nhà văn hóa thôn"
                    if plan.channel == Channel.VILLAGE_VISIT and rng.random() < 0.3
                    else ""
                ),
            ),
            scope=Scope(None),
            officer=plan.receiver,
            device_id=device_id,
            now=limit,
        )
        counts["dossier_events"] += 1
        with session.no_autoflush:
            _live(session, rng, commune, dossier, plan, limit=limit, counts=counts)
        commune.dossiers.append(dossier)
    session.flush()


def _live(
    session: Session,
    rng: random.Random,
    commune: _Commune,
    dossier: Dossier,
    plan: _Plan,
    *,
    limit: datetime,
    counts: dict[str, int],
) -> None:
    """Walk ``dossier`` through the planned status changes, logging and stamping each."""
    clock = _Clock(rng, plan.received_at, limit)
    handler = plan.receiver or rng.choice(commune.officers)
    changed = False
    for status, day in plan.steps:
        moment = clock.at(day)
        if moment is None:
            break
        assert status in DOSSIER_TRANSITIONS.get(dossier.status, frozenset()), (
            dossier.status,
            status,
        )
        if status in (S.APPROVED, S.REJECTED):
            actor = commune.leader
        elif status == S.RESULT_RETURNED:
            actor = rng.choice(commune.officers)
        else:
            actor = handler
        event = DossierEvent(
            id=new_id(),
            commune_id=dossier.commune_id,
            dossier_id=dossier.id,
            kind="status_changed",
            occurred_at=moment,
            officer_id=actor.id,
            from_status=dossier.status.value,
            to_status=status.value,
            note=rng.choice(STATUS_NOTES[status]),
            origin_device_id=commune.device_of.get(actor.id),
        )
        session.add(event)
        stamp(session, event)
        counts["dossier_events"] += 1
        if status == S.IN_PROGRESS and dossier.status == S.NEEDS_SUPPLEMENT:
            # The citizen brought the missing paper.
            dossier.documents = [
                {**doc, "provided": doc["provided"] or bool(doc.get("required"))}
                for doc in dossier.documents
            ]
        if dossier.handler_id is None:
            dossier.handler_id = handler.id
        if status == S.RESULT_RETURNED:
            dossier.result_returned_at = moment
        if status == S.REJECTED:
            commune.rejected.add(dossier.id)
        dossier.status = status
        changed = True
    if plan.apology is not None:
        issued_on, new_due = plan.apology
        issued_at = max(
            _local(issued_on, rng.randint(14 * 60, 16 * 60 + 30)),
            plan.received_at + timedelta(minutes=30),
        )
        if issued_at < limit:
            apology = DossierApology(
                id=new_id(),
                commune_id=dossier.commune_id,
                dossier_id=dossier.id,
                reason=rng.choice(APOLOGY_REASONS),
                new_due_date=new_due,
                issued_at=issued_at,
                officer_id=commune.leader.id,
            )
            session.add(apology)
            stamp(session, apology)
            counts["dossier_apologies"] += 1
    if changed:
        stamp(session, dossier)


# ---------------------------------------------------------------------------------------
# Feedback
# ---------------------------------------------------------------------------------------

# (kind, subject, dossier pool, content). Pools: "overdue" (open past due or returned
# late), "refused" (refused or rejected), "returned" (returned on time).
FEEDBACK_TEMPLATES: tuple[tuple[FeedbackKind, FeedbackSubject, str | None, str], ...] = (
    (
        FeedbackKind.REPORT,
        FeedbackSubject.DOSSIER,
        "overdue",
        "Cán bộ hẹn trả kết quả nhưng đến ngày hẹn chưa có, tôi phải đi lại nhiều lần.",
    ),
    (
        FeedbackKind.REPORT,
        FeedbackSubject.DOSSIER,
        "overdue",
        "Hồ sơ nộp đã quá ngày hẹn mà chưa nhận được phiếu xin lỗi hay thông báo gì.",
    ),
    (
        FeedbackKind.REPORT,
        FeedbackSubject.SERVICE,
        None,
        "Bộ phận một cửa thường đóng cửa sớm vào chiều thứ Sáu, người ở xa xuống không kịp.",
    ),
    (
        FeedbackKind.REPORT,
        FeedbackSubject.SERVICE,
        None,
        "Đường từ {village} xuống trụ sở xã bị sạt lở, bà con đi nộp hồ sơ rất khó khăn.",
    ),
    (
        FeedbackKind.REPORT,
        FeedbackSubject.SERVICE,
        None,
        "Bảng niêm yết thủ tục hành chính tại trụ sở đã cũ, chữ bị mờ, khó đọc.",
    ),
    (
        FeedbackKind.REPORT,
        FeedbackSubject.OFFICER,
        None,
        "Cán bộ tiếp nhận nói nhanh, không giải thích rõ phải bổ sung giấy tờ gì.",
    ),
    (
        FeedbackKind.RECOMMENDATION,
        FeedbackSubject.SERVICE,
        None,
        "Đề nghị bố trí cán bộ biết tiếng Mông tại bộ phận một cửa.",
    ),
    (
        FeedbackKind.RECOMMENDATION,
        FeedbackSubject.SERVICE,
        None,
        "Đề nghị xã tổ chức tiếp nhận hồ sơ lưu động tại {village} mỗi tháng một lần.",
    ),
    (
        FeedbackKind.RECOMMENDATION,
        FeedbackSubject.SERVICE,
        None,
        "Đề nghị có tờ hướng dẫn bằng tiếng Dao cách làm giấy khai sinh cho con.",
    ),
    (
        FeedbackKind.RECOMMENDATION,
        FeedbackSubject.SERVICE,
        None,
        "Đề nghị niêm yết số điện thoại đường dây nóng của xã ở nhà văn hóa {village}.",
    ),
    (
        FeedbackKind.RECOMMENDATION,
        FeedbackSubject.SERVICE,
        None,
        "Đề nghị trả kết quả qua bưu điện cho người già, người ốm ở xa trụ sở.",
    ),
    (
        FeedbackKind.COMPLAINT,
        FeedbackSubject.DOSSIER,
        "refused",
        "Không đồng ý với việc từ chối giải quyết hồ sơ của gia đình, đề nghị xem xét lại.",
    ),
    (
        FeedbackKind.COMPLAINT,
        FeedbackSubject.SERVICE,
        None,
        "Khiếu nại việc xác nhận sai diện tích đất nương của gia đình tại {village}.",
    ),
    (
        FeedbackKind.COMPLAINT,
        FeedbackSubject.DOSSIER,
        "overdue",
        "Hồ sơ trợ cấp của bố tôi nộp đã lâu nhưng chưa được giải quyết, không rõ lý do.",
    ),
    (
        FeedbackKind.PRAISE,
        FeedbackSubject.OFFICER,
        None,
        "Cảm ơn cán bộ {officer} đã xuống tận thôn hướng dẫn và nhận hồ sơ cho bà con.",
    ),
    (
        FeedbackKind.PRAISE,
        FeedbackSubject.DOSSIER,
        "returned",
        "Cán bộ một cửa nhiệt tình, giải quyết hồ sơ nhanh, trả kết quả đúng hẹn.",
    ),
    (
        FeedbackKind.PRAISE,
        FeedbackSubject.SERVICE,
        None,
        "Khen ngợi tổ công tác lưu động của xã đã giúp người già ở {village} làm giấy tờ.",
    ),
)
FEEDBACK_KIND_WEIGHTS = (
    (FeedbackKind.REPORT, 35),
    (FeedbackKind.RECOMMENDATION, 28),
    (FeedbackKind.COMPLAINT, 12),
    (FeedbackKind.PRAISE, 25),
)
FEEDBACK_CHANNELS = (
    (Channel.COUNTER, 40),
    (Channel.VILLAGE_VISIT, 30),
    (Channel.ONLINE, 22),
    (Channel.POST, 8),
)
RESPONSES: dict[FeedbackKind, tuple[str, ...]] = {
    FeedbackKind.REPORT: (
        "UBND xã đã kiểm tra, tiếp thu và chỉ đạo bộ phận một cửa khắc phục. "
        "Cảm ơn ông/bà đã phản ánh.",
        "Hồ sơ chậm do phải xác minh tại thôn; UBND xã đã gửi phiếu xin lỗi và hẹn lại "
        "ngày trả kết quả. Xin lỗi ông/bà vì sự chậm trễ.",
    ),
    FeedbackKind.RECOMMENDATION: (
        "UBND xã ghi nhận kiến nghị và sẽ bố trí thực hiện từ tháng tới.",
        "UBND xã sẽ phân công cán bộ người dân tộc thiểu số hỗ trợ tại bộ phận một cửa "
        "vào thứ Hai và thứ Năm hằng tuần.",
    ),
    FeedbackKind.COMPLAINT: (
        "Sau khi xem xét, UBND xã giữ nguyên quyết định vì hồ sơ chưa đủ điều kiện; "
        "cán bộ đã hướng dẫn công dân bổ sung giấy tờ để nộp lại.",
        "UBND xã đã tổ chức đối thoại, kiểm tra lại hồ sơ và điều chỉnh theo đúng quy định.",
    ),
    FeedbackKind.PRAISE: ("UBND xã trân trọng cảm ơn ý kiến của ông/bà.",),
}
FORWARD_TO = (
    "Chi nhánh Văn phòng Đăng ký đất đai tỉnh Lào Cai",
    "Công an xã",
    "Bảo hiểm xã hội khu vực",
)


def _dossier_pools(commune: _Commune, today: date) -> dict[str, list[Dossier]]:
    pools: dict[str, list[Dossier]] = {"overdue": [], "refused": [], "returned": []}
    for dossier in commune.dossiers:
        if dossier.status in OPEN_STATUSES and dossier.due_date < today:
            pools["overdue"].append(dossier)
        elif dossier.status == S.REFUSED or dossier.id in commune.rejected:
            pools["refused"].append(dossier)
        elif dossier.status == S.RESULT_RETURNED and dossier.result_returned_at is not None:
            returned_on = dossier.result_returned_at.astimezone(OFFICE_TZ).date()
            pools["overdue" if returned_on > dossier.due_date else "returned"].append(dossier)
    return pools


def _seed_feedback(
    session: Session,
    rng: random.Random,
    commune: _Commune,
    *,
    today: date,
    limit: datetime,
    counts: dict[str, int],
) -> None:
    last_day = _working_days_back(today, 1)
    first_day = _working_days_back(today, 90)
    pools = _dossier_pools(commune, today)
    unit = commune.unit
    for _ in range(rng.randint(13, 17)):
        kind = _pick(rng, FEEDBACK_KIND_WEIGHTS)
        templates = [t for t in FEEDBACK_TEMPLATES if t[0] == kind and (not t[2] or pools[t[2]])]
        _, subject, pool, text = rng.choice(templates)
        village = rng.choice(commune.villages)
        concerned = rng.choice(commune.officers) if subject == FeedbackSubject.OFFICER else None
        content = text.format(
            village=f"{village.kind.lower()} {village.name}",
            officer=concerned.full_name if concerned else "",
        )
        dossier = rng.choice(pools[pool]) if pool else None
        after: datetime | None = None
        if dossier is None:
            earliest = first_day
        elif pool == "overdue":
            earliest = min(next_working_day(dossier.due_date), last_day)
            after = dossier.received_at
        else:
            after = dossier.result_returned_at or dossier.received_at
            earliest = min(next_working_day(after.astimezone(OFFICE_TZ).date()), last_day)
        channel = _pick(rng, FEEDBACK_CHANNELS)
        day = _between(rng, earliest, last_day)
        minute = (
            rng.randint(6 * 60, 22 * 60)
            if channel == Channel.ONLINE
            else _office_minute(rng, late_share=0.15)
        )
        received_at = _local(day, minute)
        if after is not None:
            received_at = max(received_at, after + timedelta(hours=1))
        received_at = min(received_at, limit - timedelta(hours=8))
        received_day = received_at.astimezone(OFFICE_TZ).date()
        response_days = FEEDBACK_RESPONSE_DAYS[kind]
        response_due = (
            None if response_days is None else add_working_days(received_day, response_days)
        )

        age = working_days_between(received_day, last_day)
        if age < 2:
            status = _pick(rng, ((FeedbackStatus.NEW, 7), (FeedbackStatus.IN_HANDLING, 3)))
        elif kind == FeedbackKind.PRAISE:
            status = _pick(rng, ((FeedbackStatus.CLOSED, 6), (FeedbackStatus.ANSWERED, 4)))
        elif response_due is not None and response_due >= today:
            status = _pick(
                rng,
                (
                    (FeedbackStatus.NEW, 1),
                    (FeedbackStatus.IN_HANDLING, 4),
                    (FeedbackStatus.FORWARDED, 1),
                    (FeedbackStatus.ANSWERED, 4),
                ),
            )
        else:
            status = _pick(
                rng,
                (
                    (FeedbackStatus.IN_HANDLING, 1),  # answer overdue
                    (FeedbackStatus.FORWARDED, 1),
                    (FeedbackStatus.ANSWERED, 4),
                    (FeedbackStatus.CLOSED, 4),
                ),
            )

        anonymous = dossier is None and rng.random() < 0.3
        person = _person(rng, commune.spec.ethnic_mix, today)
        if dossier is not None:
            citizen_name, citizen_phone = dossier.applicant_name, dossier.applicant_phone
        else:
            citizen_name, citizen_phone = person.name, person.phone
        assignee = None
        if status != FeedbackStatus.NEW:
            assignee = (
                commune.leader if kind == FeedbackKind.COMPLAINT else rng.choice(commune.officers)
            )
        feedback = Feedback(
            id=new_id(),
            commune_id=unit.id,
            kind=kind,
            content=content,
            subject=subject,
            dossier_id=dossier.id if dossier else None,
            officer_id=concerned.id if concerned else None,
            anonymous=anonymous,
            citizen_name=None if anonymous else citizen_name,
            citizen_phone=None if anonymous else citizen_phone,
            channel=channel,
            received_at=received_at,
            response_due_date=response_due,
            status=status,
            assignee_id=assignee.id if assignee else None,
            origin_device_id=(
                commune.device_of.get(assignee.id)
                if assignee and channel == Channel.VILLAGE_VISIT
                else None
            ),
        )
        if status == FeedbackStatus.FORWARDED:
            feedback.forwarded_to = rng.choice(FORWARD_TO)
            if feedback.forwarded_to == "Công an xã":
                feedback.forwarded_to = f"Công an {unit.kind.lower()} {unit.name}"
        answered = status in (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED)
        if answered and (kind != FeedbackKind.PRAISE or rng.random() < 0.6):
            start = min(next_working_day(received_day), last_day)
            end = min(response_due or add_working_days(received_day, 5), last_day)
            if response_due is not None and rng.random() < 0.12:  # a few answered late
                end = last_day
            moment = _Clock(rng, received_at, limit).at(_between(rng, start, max(start, end)))
            if moment is not None:
                feedback.response = rng.choice(RESPONSES[kind])
                feedback.answered_at = moment
                feedback.public = kind != FeedbackKind.COMPLAINT and rng.random() < 0.6
        session.add(feedback)
        with session.no_autoflush:
            stamp(session, feedback)
        counts["feedback"] += 1


# ---------------------------------------------------------------------------------------
# Satisfaction survey
# ---------------------------------------------------------------------------------------

#: The default survey: the five elements of Decision 1001/QĐ-BNV (server.services.sipas).
SURVEY_KEY = sipas.DEFAULT_FORM_KEY
LANGUAGE_OPTIONS = (
    ("vi", "Tiếng Việt", "Vietnamese"),
    ("hmn", "Tiếng Mông", "Hmong"),
    ("dao", "Tiếng Dao", "Dao"),
    ("tay_giay", "Tiếng Tày, Giáy", "Tày, Giáy"),
    ("hni", "Tiếng Hà Nhì", "Hà Nhì"),
)
MOTHER_TONGUE = {
    "Mông": "hmn",
    "Dao": "dao",
    "Tày": "tay_giay",
    "Giáy": "tay_giay",
    "Hà Nhì": "hni",
}
SURVEY_COMMENTS = (
    "Đề nghị có thêm ghế ngồi chờ cho người già.",
    "Cán bộ nhiệt tình, hướng dẫn bằng tiếng Mông dễ hiểu.",
    "Mong xã tiếp tục xuống thôn nhận hồ sơ vào mùa thu hoạch.",
    "Cần thông báo trước lịch tiếp nhận lưu động qua trưởng thôn.",
    "Sóng điện thoại yếu, khó nộp hồ sơ trực tuyến.",
    "Trả kết quả nhanh, không phải đi lại nhiều.",
)
AGE_BANDS = (("18-30", 30), ("31-45", 35), ("46-60", 22), ("60+", 13))


def survey_questions() -> list[dict[str, Any]]:
    """The default form of Decision 1001/QĐ-BNV, plus the language the citizen wants."""
    questions = sipas.default_form_questions()
    questions.insert(
        -1,
        {
            "id": "language",
            "type": "single_choice",
            "text_vi": "Ông/bà muốn được hướng dẫn bằng tiếng nào?",
            "text_en": "In which language would you like to be assisted?",
            "options": [
                {"value": value, "label_vi": vi, "label_en": en}
                for value, vi, en in LANGUAGE_OPTIONS
            ],
            "required": True,
        },
    )
    return questions


def _likert(rng: random.Random, satisfied_share: float) -> int:
    if rng.random() < satisfied_share:
        return 5 if rng.random() < 0.55 else 4
    return _pick(rng, ((3, 70), (2, 25), (1, 5)))


def _seed_survey(
    session: Session,
    rng: random.Random,
    communes: Sequence[_Commune],
    *,
    today: date,
    counts: dict[str, int],
) -> None:
    published_on = _working_days_back(today, 90)
    form = SurveyForm(
        key=SURVEY_KEY,
        version=1,
        title_vi=sipas.DEFAULT_TITLE_VI,
        title_en=sipas.DEFAULT_TITLE_EN,
        questions=survey_questions(),
        status=FormStatus.PUBLISHED,
        published_at=_local(published_on, 8 * 60),
        communes=[c.unit for c in communes],
    )
    session.add(form)
    session.flush()
    stamp_global(session, form)
    counts["survey_forms"] += 1

    days = [d for d in (published_on + timedelta(days=n) for n in range(1, 200)) if d < today]
    days = [d for d in days if is_working_day(d)]
    for commune in communes:
        satisfied_share = rng.uniform(0.91, 0.97)
        target = rng.randint(36, 44)
        made = 0
        while made < target:
            # One village visit: a surveyor asks several people in a row.
            village = rng.choice(commune.villages)
            collector = rng.choice(commune.officers)
            moment = _local(rng.choice(days), rng.randint(8 * 60 + 30, 14 * 60))
            for _ in range(min(rng.randint(4, 9), target - made)):
                moment += timedelta(minutes=rng.randint(4, 12))
                _seed_response(
                    session, rng, commune, form, village, collector, moment, satisfied_share
                )
                made += 1
        counts["survey_responses"] += made
    session.flush()


def _seed_response(
    session: Session,
    rng: random.Random,
    commune: _Commune,
    form: SurveyForm,
    village: AdminUnit,
    collector: Officer,
    moment: datetime,
    satisfied_share: float,
) -> None:
    ethnic_group = _pick(rng, commune.spec.ethnic_mix)
    answers: dict[str, Any] = {
        str(q["id"]): _likert(rng, satisfied_share)
        for q in form.questions
        if q["type"] == "likert5" and q.get("element") != "feedback"
    }
    answers["gave_feedback"] = rng.random() < 0.12
    if answers["gave_feedback"]:
        answers["feedback"] = _likert(rng, satisfied_share - 0.1)
    tongue = MOTHER_TONGUE.get(ethnic_group, "vi")
    answers["language"] = tongue if rng.random() < 0.7 else "vi"
    if rng.random() < 0.2:
        answers["comment"] = rng.choice(SURVEY_COMMENTS)
    with_profile = rng.random() < 0.85
    located = rng.random() < 0.7
    lat, lon = commune.spec.centre
    response = SurveyResponse(
        id=new_id(),
        commune_id=commune.unit.id,
        form_id=form.id,
        village_id=village.id,
        officer_id=collector.id,
        collected_at=moment,
        answers=answers,
        latitude=round(lat + rng.uniform(-0.03, 0.03), 5) if located else None,
        longitude=round(lon + rng.uniform(-0.03, 0.03), 5) if located else None,
        age_band=_pick(rng, AGE_BANDS) if with_profile else None,
        gender=rng.choice(("male", "female")) if with_profile else None,
        ethnic_group=ethnic_group if with_profile else None,
        origin_device_id=commune.device_of.get(collector.id),
    )
    session.add(response)
    with session.no_autoflush:
        stamp(session, response)


# ---------------------------------------------------------------------------------------
# The whole province
# ---------------------------------------------------------------------------------------

COUNT_KEYS = (
    "provinces",
    "communes",
    "villages",
    "procedures",
    "officers",
    "devices",
    "dossiers",
    "dossiers_overdue",
    "dossier_events",
    "dossier_apologies",
    "feedback",
    "survey_forms",
    "survey_responses",
)


def _phone(rng: random.Random) -> str:
    return f"09{rng.randrange(10**8):08d}"


def _seed_units(
    session: Session, counts: dict[str, int]
) -> tuple[AdminUnit, list[tuple[_CommuneSpec, AdminUnit, list[AdminUnit]]]]:
    province = AdminUnit(
        code=PROVINCE_CODE, name=PROVINCE_NAME, kind="Tỉnh", level=UnitLevel.PROVINCE
    )
    session.add(province)
    tree: list[tuple[_CommuneSpec, AdminUnit, list[AdminUnit]]] = []
    for spec in COMMUNES:
        unit = AdminUnit(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            level=UnitLevel.COMMUNE,
            parent=province,
        )
        villages = [
            AdminUnit(name=name, kind=kind, level=UnitLevel.VILLAGE, parent=unit)
            for kind, name in spec.villages
        ]
        session.add_all([unit, *villages])
        tree.append((spec, unit, villages))
    session.flush()
    stamp_global(session, province)
    for _, unit, villages in tree:
        for record in (unit, *villages):
            stamp_global(session, record)
        counts["villages"] += len(villages)
    counts["provinces"] = 1
    counts["communes"] = len(tree)
    return province, tree


def _seed_people(
    session: Session,
    rng: random.Random,
    province: AdminUnit,
    tree: Sequence[tuple[_CommuneSpec, AdminUnit, list[AdminUnit]]],
    *,
    today: date,
    counts: dict[str, int],
) -> list[_Commune]:
    for username, full_name, title, role, unit in (
        (*SYSTEM_ADMIN, Role.SYSTEM_ADMIN, None),
        (*PROVINCE_ADMIN, Role.PROVINCE_ADMIN, province),
    ):
        create_officer(
            session,
            username=username,
            password=DEMO_PASSWORD,
            full_name=full_name,
            role=role,
            unit=unit,
            title=title,
            phone=_phone(rng),
        )
        counts["officers"] += 1
    last_sync = _local(_working_days_back(today, 1), 16 * 60 + 40)
    communes: list[_Commune] = []
    for spec, unit, villages in tree:
        leader_name, hotich_name, vanphong_name = _usernames(spec.slug)
        leader = create_officer(
            session,
            username=leader_name,
            password=DEMO_PASSWORD,
            full_name=spec.leader,
            role=Role.COMMUNE_LEADER,
            unit=unit,
            title=f"Chủ tịch UBND {spec.kind.lower()}",
            phone=_phone(rng),
        )
        officers = [
            create_officer(
                session,
                username=username,
                password=DEMO_PASSWORD,
                full_name=full_name,
                role=Role.OFFICER,
                unit=unit,
                title=title,
                phone=_phone(rng),
            )
            for username, full_name, title in zip(
                (hotich_name, vanphong_name), spec.officers, OFFICER_TITLES, strict=True
            )
        ]
        counts["officers"] += 3
        commune = _Commune(spec, unit, villages, leader, officers)
        for number, officer in enumerate(officers[: spec.tablets], start=1):
            device: Device
            device, _token = register_device(
                session,
                officer,
                name=f"Máy tính bảng {number} - {spec.kind} {spec.name}",
                app_version="0.1.0",
            )
            device.last_seen_at = device.last_sync_at = last_sync - timedelta(minutes=7 * number)
            commune.device_of[officer.id] = device.id
            counts["devices"] += 1
        communes.append(commune)
    return communes


def seed_demo_province(
    session: Session,
    *,
    seed: int = 2026,
    dossiers_per_commune: int = 80,
    today: date | None = None,
) -> dict[str, int]:
    """Fill an empty database (schema created) with a demo province; return counts by kind.

    The same ``seed`` and ``today`` give the same data. ``today`` defaults to the current
    date in the office time zone; every record is dated before 07:00 that day. The caller
    commits.
    """
    today = today or datetime.now(OFFICE_TZ).date()
    limit = datetime.combine(today, time(7, 0), OFFICE_TZ)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    counts = dict.fromkeys(COUNT_KEYS, 0)

    load_catalog(session)
    procedures = active_procedures(session)
    if not procedures:
        raise ValueError("the procedure catalog is empty; cannot make demo dossiers")
    counts["procedures"] = len(procedures)
    weights = _procedure_weights(procedures)

    province, tree = _seed_units(session, counts)
    communes = _seed_people(session, rng, province, tree, today=today, counts=counts)

    for commune in communes:
        plans = _plan_dossiers(
            rng,
            commune,
            procedures,
            weights,
            count=dossiers_per_commune,
            today=today,
            limit=limit,
        )
        _create_dossiers(session, rng, commune, plans, limit=limit, counts=counts)
        counts["dossiers"] += len(commune.dossiers)
        counts["dossiers_overdue"] += sum(
            1 for d in commune.dossiers if d.status in OPEN_STATUSES and d.due_date < today
        )
    # Its own draws, so the rest of the demo stays the same draw for draw.
    anywhere_rng = random.Random(f"{seed}-anywhere")  # noqa: S311 - demo data
    seed_filing_anywhere(
        session,
        communes_by_name(communes),
        lambda received_at: _form_person(anywhere_rng, (("Mông", 60), ("Kinh", 40)), received_at),
        today=today,
        limit=limit,
        counts=counts,
    )
    for commune in communes:
        _seed_feedback(session, rng, commune, today=today, limit=limit, counts=counts)
    _seed_survey(session, rng, communes, today=today, counts=counts)
    session.flush()
    return counts
