"""``SQLiteDeviceStore.list_fields``: a few fields of many records, for long lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile.security import Vault
from mobile.store import SensitiveFilterError, StoreError, StoreLocked
from mobile.tablet import Tablet
from tests.sync.fake_server import FakeServer, FakeTransport

CCCD = "038190004271"
PHONE = "0912345017"


@pytest.fixture
def tablet(tmp_path: Path) -> Iterator[Tablet]:
    """A tablet with its data key attached, as after the PIN (personal data sealed)."""
    server = FakeServer()
    server.seed_reference()
    cipher = Vault(tmp_path / "vault.json", scrypt_n=2**10).set_up("482913")
    made = Tablet(tmp_path / "tablet.db", cipher=cipher)
    made.adopt_registration("fake://", server.registration())
    assert made.sync(FakeTransport(server, made.registration.device_no)).ok
    yield made
    made.close()


def test_it_reads_what_list_records_reads_field_by_field(tablet: Tablet) -> None:
    first = tablet.create_dossier(1, "Giàng A Páo", applicant_cccd=CCCD, applicant_phone=PHONE)
    second = tablet.create_dossier(3, "Sùng Thị Mai")
    third = tablet.create_dossier(2, "Lò Văn Thắng", applicant_cccd="001090123456")
    tablet.change_status(second, "needs_supplement", "Thiếu giấy xác nhận")
    store = tablet.store
    names = ("status", "receipt_number", "applicant_name", "applicant_cccd", "procedure_id")
    for where, order in ((None, "received_at"), ({"status": "received"}, None)):
        whole = store.list_records("dossier", where, order_by=order, descending=True)
        some = store.list_fields("dossier", names, where, order_by=order, descending=True)
        assert some == [{"id": d["id"], **{n: d.get(n) for n in names}} for d in whole]
    some = store.list_fields("dossier", ("applicant_cccd",), order_by="received_at")
    assert [(d["id"], d["applicant_cccd"]) for d in some] == [
        (first, CCCD),  # opened: sealed in SQLite
        (second, None),
        (third, "001090123456"),
    ]


def test_plain_fields_need_no_key_and_sealed_ones_do(tablet: Tablet) -> None:
    dossier_id = tablet.create_dossier(1, "Giàng A Páo", applicant_cccd=CCCD)
    store = tablet.store
    store.cipher = None  # locked
    assert store.list_fields("dossier", ("applicant_name",)) == [
        {"id": dossier_id, "applicant_name": "Giàng A Páo"}
    ]
    with pytest.raises(StoreLocked):
        store.list_fields("dossier", ("applicant_cccd",))


def test_names_are_checked(tablet: Tablet) -> None:
    tablet.create_dossier(1, "Giàng A Páo", applicant_cccd=CCCD)
    store = tablet.store
    with pytest.raises(StoreError):
        store.list_fields("dossier", ("status') FROM record --",))
    with pytest.raises(SensitiveFilterError):
        store.list_fields("dossier", ("status",), order_by="applicant_cccd")
    with pytest.raises(SensitiveFilterError):
        store.list_fields("dossier", ("status",), {"applicant_cccd": CCCD})
