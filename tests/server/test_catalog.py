"""The shipped procedure catalog and its loading."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Procedure
from server.services.catalog import field_names, load_catalog, read_catalog
from tests.server.conftest import World

REQUIRED_KEYS = {
    "code",
    "name_vi",
    "name_en",
    "field",
    "processing_days",
    "extension_days",
    "required_documents",
    "fee_vnd",
    "legal_basis",
}


def test_shipped_catalog_is_complete_and_consistent() -> None:
    entries = read_catalog()
    fields = field_names()
    assert len(entries) >= 15
    codes = [entry["code"] for entry in entries]
    assert len(codes) == len(set(codes))
    for entry in entries:
        assert entry.keys() >= REQUIRED_KEYS, entry["code"]
        assert entry["field"] in fields
        assert entry["processing_days"] >= 0
        assert entry["extension_days"] >= 0
        assert entry["fee_vnd"] >= 0
        assert entry["required_documents"], entry["code"]


def test_marriage_registration_is_same_day_extendable_by_five() -> None:
    marriage = next(e for e in read_catalog() if e["name_vi"] == "Đăng ký kết hôn")
    assert marriage["processing_days"] == 0
    assert marriage["extension_days"] == 5


def test_loading_is_idempotent_and_only_bumps_changed_rows(session: Session) -> None:
    created, updated = load_catalog(session)
    assert (created, updated) == (len(read_catalog()), 0)
    seqs = dict(session.execute(select(Procedure.code, Procedure.seq)).all())
    assert load_catalog(session) == (0, 0)
    entries = read_catalog()
    entries[0]["fee_vnd"] += 1000
    assert load_catalog(session, entries) == (0, 1)
    after = dict(session.execute(select(Procedure.code, Procedure.seq)).all())
    changed = {code for code in seqs if seqs[code] != after[code]}
    assert changed == {entries[0]["code"]}
    assert after[entries[0]["code"]] > max(seqs.values())


def test_catalog_endpoint_lists_procedures(
    client: FlaskClient, world: World, session: Session
) -> None:
    load_catalog(session)
    session.commit()
    body = client.get("/api/v1/procedures", headers=world.a.headers).get_json()
    names = {p["name_vi"] for p in body}
    assert "Đăng ký khai sinh" in names
    assert all(p["required_documents"] for p in body)


def test_a_code_is_verified_only_with_its_source() -> None:
    """``code_verified`` is true only beside the page or decision that publishes the code."""
    for entry in read_catalog():
        if entry.get("code_verified"):
            assert entry.get("code_source", "").strip(), entry["code"]
            assert entry["code"] in entry["code_source"], entry["code"]


def test_acknowledging_a_child_is_verified_against_a_provincial_portal() -> None:
    # Cổng DVC tỉnh Đắk Lắk: "Ký hiệu thủ tục: 1.001022.000.00.00.H15", 03 working days,
    # "trường hợp cần phải xác minh thì thời hạn giải quyết không quá 08 ngày làm việc".
    entry = next(e for e in read_catalog() if e["code"] == "1.001022")
    assert entry["code_verified"] is True
    assert "1.001022.000.00.00.H15" in entry["code_source"]
    assert (entry["processing_days"], entry["extension_days"]) == (3, 5)
