"""One contract suite for ``sync.storage.FieldStore``, run against every store.

The server's store (SQLAlchemy, on SQLite and on PostgreSQL) and the tablet's store
(plain SQLite) must keep the invariants written in ``sync/storage.py``; each test here
runs against both, and one test checks they hold the very same values.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mobile.store import SQLiteDeviceStore
from server.sync.store import ServerFieldStore
from sync.ids import new_id
from sync.storage import FieldStore
from tests.server.conftest import World

K1, K2, K3 = "0midc1z40000" + "3", "0midc1z40001" + "3", "0midc1z40002" + "4"

FEEDBACK = {
    "kind": "complaint",
    "content": "Cán bộ hẹn trả kết quả nhưng đến ngày hẹn chưa có — “khẩn”",
    "channel": "village_visit",
    "received_at": "2026-02-12T02:00:00+00:00",
    "status": "new",
    "anonymous": False,
    "citizen_name": "Vàng Thị Mỷ",
    "public": False,
    "response": "",
}


class Stores:
    """Makes the store under test and whatever it needs around it."""

    def __init__(self, kind: str, world: World, session: Session, tmp_path: Path) -> None:
        self.kind = kind
        self.session = session
        self.world = world
        self.tmp_path = tmp_path
        self._tablets: list[SQLiteDeviceStore] = []

    def make(self) -> FieldStore:
        if self.kind == "server":
            return ServerFieldStore(self.session, self.world.a.commune.id)
        store = SQLiteDeviceStore(self.tmp_path / f"tablet{len(self._tablets)}.db")
        self._tablets.append(store)
        return store

    def commit(self) -> None:
        self.session.commit()

    def close(self) -> None:
        for store in self._tablets:
            store.close()


@pytest.fixture(params=["server", "tablet"])
def stores(
    request: pytest.FixtureRequest, world: World, session: Session, tmp_path: Path
) -> Iterator[Stores]:
    made = Stores(request.param, world, session, tmp_path)
    yield made
    made.close()


def _create(store: FieldStore, record_id: str, extra: dict[str, Any] | None = None) -> None:
    fields = {**FEEDBACK, **(extra or {})}
    store.write_fields("feedback", record_id, {name: (value, K1) for name, value in fields.items()})


def test_an_unknown_record_is_none(stores: Stores) -> None:
    assert stores.make().read_record("feedback", new_id()) is None


def test_values_and_clocks_round_trip(stores: Stores) -> None:
    store = stores.make()
    record_id = new_id()
    _create(store, record_id, {"citizen_phone": None, "forwarded_to": None})
    stores.commit()
    state = store.read_record("feedback", record_id)
    assert state is not None
    for name, value in FEEDBACK.items():
        assert state.fields[name] == value, name
        assert state.clocks[name] == K1, name
    assert state.fields["citizen_phone"] is None
    assert record_id in list(store.record_ids("feedback"))


def test_writes_touch_only_their_fields(stores: Stores) -> None:
    store = stores.make()
    record_id = new_id()
    _create(store, record_id)
    store.write_fields(
        "feedback", record_id, {"status": ("answered", K2), "response": ("Đã trả lời", K2)}
    )
    stores.commit()
    state = store.read_record("feedback", record_id)
    assert state is not None
    assert (state.fields["status"], state.clocks["status"]) == ("answered", K2)
    assert (state.fields["response"], state.clocks["response"]) == ("Đã trả lời", K2)
    assert (state.fields["content"], state.clocks["content"]) == (FEEDBACK["content"], K1)
    assert (state.fields["kind"], state.clocks["kind"]) == ("complaint", K1)


def test_the_tombstone_is_a_field_like_any_other(stores: Stores) -> None:
    store = stores.make()
    record_id = new_id()
    _create(store, record_id)
    store.write_fields("feedback", record_id, {"deleted": (True, K3)})
    stores.commit()
    state = store.read_record("feedback", record_id)
    assert state is not None
    assert state.fields["deleted"] is True
    assert state.clocks["deleted"] == K3
    assert record_id in list(store.record_ids("feedback"))  # never removed


def test_json_values_keep_their_shape(stores: Stores) -> None:
    store = stores.make()
    survey_id = new_id()
    answers = {"q1": 5, "q2": True, "q3": ["a", "c"], "q4": "Rất tốt, cảm ơn cán bộ"}
    form_id = stores.world.procedure.id  # any integer id: the store does not check it
    writes = {
        "form_id": (form_id, K1),
        "collected_at": ("2026-03-01T03:04:05+00:00", K1),
        "answers": (answers, K1),
        "latitude": (22.3364, K1),
        "longitude": (103.8438, K1),
    }
    if stores.kind == "server":
        # The server's table has a foreign key to the form.
        from server.models import FormStatus, SurveyForm

        form = SurveyForm(
            key="k",
            version=1,
            title_vi="t",
            title_en="t",
            questions=[],
            status=FormStatus.PUBLISHED,
        )
        stores.session.add(form)
        stores.session.flush()
        writes["form_id"] = (form.id, K1)
    store.write_fields("survey_response", survey_id, writes)
    stores.commit()
    state = store.read_record("survey_response", survey_id)
    assert state is not None
    assert state.fields["answers"] == answers
    assert state.fields["latitude"] == pytest.approx(22.3364)
    assert state.fields["collected_at"] == "2026-03-01T03:04:05+00:00"


def test_server_and_tablet_hold_the_same_values(
    world: World, session: Session, tmp_path: Path
) -> None:
    server = ServerFieldStore(session, world.a.commune.id)
    with SQLiteDeviceStore(tmp_path / "tablet.db") as tablet:
        record_id = new_id()
        for store in (server, tablet):
            _create(store, record_id)
            store.write_fields("feedback", record_id, {"status": ("in_handling", K2)})
        session.commit()
        on_server = server.read_record("feedback", record_id)
        on_tablet = tablet.read_record("feedback", record_id)
        assert on_server is not None
        assert on_tablet is not None
        for name in (*FEEDBACK, "status"):
            assert on_server.fields[name] == on_tablet.fields[name], name
            assert on_server.clocks[name] == on_tablet.clocks[name], name
