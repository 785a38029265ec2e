"""Due dates on the tablet: the same computation as the server, with the procedure's
rule and the day-off decisions pulled as reference data; verification recorded offline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from mobile.app.viewmodels.home import effective_due
from mobile.tablet import InvalidInput, Tablet
from tests.sync.fake_server import FakeServer, FakeTransport

MARRIAGE_ID = 40


@pytest.fixture
def server(fake_server: FakeServer) -> FakeServer:
    # Marriage: same day with the 15:00 rule, +5 working days when verification is
    # needed (Law on Civil Status 2014 art. 18(2)); notice 12729/VPCP-KGVX: Fri 02/01/2026
    # off, Sat 10/01/2026 worked.
    fake_server.add_reference(
        "procedure",
        MARRIAGE_ID,
        {
            "code": "1.000894",
            "name_vi": "Đăng ký kết hôn",
            "name_en": "Marriage registration",
            "processing_days": 0,
            "time_unit": "working_days",
            "cutoff_15h": True,
            "extension_days": 5,
            "required_documents": [],
            "active": True,
        },
    )
    fake_server.add_reference(
        "day_off", 1, {"day": "2026-01-02", "working": False, "note": "12729", "active": True}
    )
    fake_server.add_reference(
        "day_off", 2, {"day": "2026-01-10", "working": True, "note": "12729", "active": True}
    )
    return fake_server


def test_intake_uses_the_rule_and_the_pulled_decisions(
    make_tablet: Callable[[], Tablet], server: FakeServer
) -> None:
    tablet = make_tablet()
    # Wed 31/12/2025 10:00 (03:00 UTC): same day; with verification 5 working days from
    # Thu 01/01 (holiday), Fri 02/01 (off by the notice): Mon 05 ... Fri 09/01/2026.
    received = datetime(2025, 12, 31, 3, 0, tzinfo=UTC)
    plain = tablet.dossier(tablet.create_dossier(MARRIAGE_ID, "Giàng A Páo", received_at=received))
    assert plain is not None
    assert plain["due_date"] == "2025-12-31"
    assert plain["verification_due_date"] == "2026-01-09"
    assert plain["verification_needed"] is False
    # At 15:01 the same day: the next working day is Mon 05/01/2026 (not Fri 02/01).
    late = datetime(2025, 12, 31, 8, 1, tzinfo=UTC)
    checked_id = tablet.create_dossier(
        MARRIAGE_ID, "Sùng Thị Mai", received_at=late, verification_needed=True
    )
    checked = tablet.dossier(checked_id)
    assert checked is not None
    assert checked["due_date"] == "2026-01-05"
    assert checked["verification_needed"] is True
    # A 5-day procedure (fake catalog id 3) received Mon 05/01/2026 is due on the
    # make-up Saturday 10/01/2026.
    five = tablet.dossier(
        tablet.create_dossier(3, "Lò Văn Thắng", received_at=datetime(2026, 1, 5, 2, tzinfo=UTC))
    )
    assert five is not None and five["due_date"] == "2026-01-10"


def test_verification_recorded_later_and_not_shown_overdue(
    make_tablet: Callable[[], Tablet], server: FakeServer
) -> None:
    tablet = make_tablet()
    received = datetime(2025, 12, 31, 3, 0, tzinfo=UTC)
    dossier_id = tablet.create_dossier(MARRIAGE_ID, "Giàng A Páo", received_at=received)
    tablet.record_verification(dossier_id, "Xác minh tình trạng hôn nhân ở xã cũ")
    dossier = tablet.dossier(dossier_id)
    assert dossier is not None and dossier["verification_needed"] is True
    assert effective_due(dossier, {}) == date(2026, 1, 9)
    assert [e["kind"] for e in tablet.timeline(dossier_id)] == ["received", "verification_needed"]
    report = tablet.sync(FakeTransport(server, tablet.registration.device_no))
    assert report.ok, report.error
    assert server.get("dossier", dossier_id)["verification_needed"] is True  # type: ignore[index]
    # A procedure without extension refuses it.
    other = tablet.create_dossier(3, "Lò Văn Thắng", received_at=received)
    with pytest.raises(InvalidInput, match="không có thời hạn xác minh"):
        tablet.record_verification(other)


def test_effective_due_of_a_dossier_record() -> None:
    record = {"id": "x", "due_date": "2026-02-12", "verification_due_date": "2026-02-26"}
    assert effective_due(record, {}) == date(2026, 2, 12)
    assert effective_due({**record, "verification_needed": True}, {}) == date(2026, 2, 26)
    # An apology's new date still moves it further.
    moved = {"x": date(2026, 3, 2)}
    assert effective_due({**record, "verification_needed": True}, moved) == date(2026, 3, 2)
