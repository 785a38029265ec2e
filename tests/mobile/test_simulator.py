"""The headless tablet (``python -m mobile.simulator``): commands and the field day."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mobile.simulator import main, random_person
from mobile.tablet import Tablet
from server.models import Dossier
from tests import factories
from tests.conftest import LiveServer
from tests.sync.fake_server import FakeServer, FakeTransport

ROOT = Path(__file__).resolve().parents[2]


def run(db: Path, *argv: str) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = main(["--db", str(db), *argv], out=lines.append)
    return code, lines


def test_field_day_records_the_quality_workload_offline(
    tablet: Tablet, fake_server: FakeServer
) -> None:
    code, lines = run(tablet.store.path, "field-day", "--seed", "7")
    assert code == 0, lines
    assert any("Hồ sơ (dossiers): 40, sự kiện (timeline events): 240" in line for line in lines)
    store = tablet.store
    assert store.count_records("dossier") == 40
    assert store.count_records("dossier_event") == 240
    assert store.count_records("feedback") == 15
    assert store.count_records("survey_response") == 150
    assert store.count_records("attachment") == 30
    for dossier in store.list_records("dossier"):
        assert len(dossier) - 1 >= 12  # fields besides the id
        assert len(tablet.timeline(dossier["id"])) == 6
    sizes = [a["size"] for a in store.list_records("attachment")]
    assert all(135_000 <= s <= 165_000 for s in sizes)
    responses = store.list_records("survey_response")
    assert all(len(r["answers"]) >= 11 for r in responses)
    # Everything recorded offline is accepted by a server that applies the same rules.
    report = tablet.sync(FakeTransport(fake_server, tablet.registration.device_no))
    assert report.ok and report.rejected == 0 and report.conflicts == 0, report
    assert report.photos_uploaded == 30
    assert tablet.status().pending == 0


def test_commands(tablet: Tablet, tmp_path: Path) -> None:
    db = tablet.store.path
    code, lines = run(db, "new-dossier", "--procedure-code", "1.004946", "--name", "Hầu A Dình")
    assert code == 0, lines
    assert "Đã tiếp nhận hồ sơ" in lines[0] and "Hầu A Dình" in lines[0]
    dossier_id = lines[0].rsplit(": ", 1)[1]
    assert run(db, "new-dossier", "--random", "--seed", "3")[0] == 0
    assert run(db, "new-dossier")[0] == 2  # neither --name nor --random

    code, lines = run(db, "edit", dossier_id, "applicant_phone=0912345678", "village_id=72")
    assert code == 0, lines
    dossier = tablet.dossier(dossier_id)
    assert dossier is not None
    assert (dossier["applicant_phone"], dossier["village_id"]) == ("0912345678", 72)
    code, lines = run(db, "edit", dossier_id, "receipt_number=1")
    assert code == 2 and "Không lưu được" in lines[0]

    assert run(db, "status-change", dossier_id, "in_progress", "--note", "Đã xác minh")[0] == 0
    assert tablet.dossier(dossier_id)["status"] == "in_progress"  # type: ignore[index]
    code, lines = run(db, "status-change", dossier_id, "received")
    assert code == 2

    photo = tmp_path / "anh.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    assert run(db, "attach", dossier_id, str(photo))[0] == 0
    assert len(tablet.photos("dossier", dossier_id)) == 1

    assert run(db, "new-feedback", "--seed", "1")[0] == 0
    assert run(db, "new-feedback", "--kind", "praise", "--content", "Tốt")[0] == 0
    assert run(db, "survey", "--count", "3", "--seed", "2")[0] == 0
    assert tablet.store.count_records("survey_response") == 3

    code, lines = run(db, "show")
    assert code == 0 and "  dossier: 2" in lines
    code, lines = run(db, "show", "dossier")
    assert code == 0 and sum(line.startswith("… ") for line in lines) == 2
    code, lines = run(db, "status")
    assert code == 0
    assert any(line.startswith("Chờ gửi (pending operations): ") for line in lines)
    assert run(db, "conflicts") == (0, ["Không có xung đột (no open conflicts)"])


def test_random_people_look_real() -> None:
    rng = random.Random(1)
    people = [random_person(rng) for _ in range(50)]
    assert len({p.name for p in people}) > 30
    assert all(len(p.cccd) == 12 and p.cccd.isdigit() for p in people)
    assert {p.ethnic_group for p in people} >= {"Mông", "Kinh"}


def test_runs_as_a_module(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "mobile.simulator", "--db", str(tmp_path / "t.db"), "status"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Máy chưa đăng ký (not registered)" in done.stdout


def test_live_register_record_and_sync(
    tmp_path: Path,
    live_server: LiveServer,
    world: Any,
    session: Session,
) -> None:
    db = tmp_path / "live.db"
    code, lines = run(
        db,
        "register",
        "--server",
        live_server.url,
        "--username",
        world.a.officer.username,
        "--password",
        factories.PASSWORD,
    )
    assert code == 0 and "Đã đăng ký máy số" in lines[0], lines
    code, lines = run(db, "sync")
    assert code == 0, lines
    code, lines = run(db, "new-dossier", "--random", "--seed", "5")
    assert code == 0, lines
    code, lines = run(db, "sync")
    assert code == 0, lines
    assert any("Lượt gọi máy chủ (requests)" in line for line in lines)
    session.rollback()
    count = session.scalar(
        select(func.count()).select_from(Dossier).where(Dossier.commune_id == world.a.commune.id)
    )
    assert count == 1


def test_transfer_hands_a_dossier_over_offline(tablet: Tablet, fake_server: FakeServer) -> None:
    from tests.sync.fake_server import COMMUNE_ID, FakeTransport

    fake_server.add_reference(
        "admin_unit", 91, {"name": "Sa Pa", "kind": "Phường", "level": "commune", "code": "SAPA"}
    )
    fake_server.add_reference(
        "admin_unit", 92, {"name": "Bản Hồ", "kind": "Xã", "level": "commune", "code": "BANHO"}
    )
    birth = tablet.procedure_by_code("1.001193")
    assert birth is not None
    fake_server.add_reference("procedure", birth["id"], {"receivable_anywhere": True})
    assert tablet.sync(FakeTransport(fake_server, tablet.registration.device_no)).ok
    db = tablet.store.path
    code, lines = run(db, "new-dossier", "--procedure-code", "1.001193", "--name", "Lý A Sử")
    assert code == 0, lines
    dossier_id = lines[0].rsplit(": ", 1)[1]

    assert run(db, "transfer", dossier_id, "NOWHERE")[0] == 2
    code, lines = run(db, "transfer", dossier_id, "SAPA")
    assert code == 0 and "Sa Pa" in lines[0], lines
    dossier = tablet.dossier(dossier_id)
    assert dossier is not None
    assert (dossier["settling_commune_id"], dossier["return_commune_id"]) == (91, COMMUNE_ID)
    handed = [e for e in tablet.timeline(dossier_id) if e["kind"] == "handed_over"]
    assert [e["data"] for e in handed] == [
        {"from_commune_id": COMMUNE_ID, "to_commune_id": 91, "reason": ""}
    ]
    # A second handover needs a reason (a wrong pick, corrected).
    code, lines = run(db, "transfer", dossier_id, "BANHO")
    assert code == 2 and "reason" in lines[-1], lines
    code, lines = run(db, "transfer", dossier_id, "BANHO", "--reason", "Thường trú ở Bản Hồ")
    assert code == 0, lines
    assert tablet.dossier(dossier_id)["settling_commune_id"] == 92  # type: ignore[index]
    # Marriage is not on the province's list: it stays with the receiving commune.
    code, lines = run(db, "new-dossier", "--procedure-code", "1.004946", "--name", "Lò Văn Páo")
    other_id = lines[0].rsplit(": ", 1)[1]
    code, lines = run(db, "transfer", other_id, "SAPA")
    assert code == 2 and "danh mục" in lines[0], lines
