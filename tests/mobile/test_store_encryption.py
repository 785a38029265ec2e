"""Personal data on a lost tablet: what the SQLite file holds is ciphertext.

Every test opens the database file the way a thief would (plain ``sqlite3``, or the raw
bytes) and looks for the citizens' data; the same data read through the store and the
Tablet, and sent to the server, stays plain.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from mobile.security import ENCRYPTED_PREFIX, FieldCipher, Vault, VaultError
from mobile.store import SensitiveFilterError, SQLiteDeviceStore, StoreLocked
from mobile.tablet import Tablet
from mobile.transport import HttpTransport
from sync.ids import new_id
from sync.ops import Operation, Outcome, OutcomeKind, Reason
from tests.sync.fake_server import FakeServer, FakeTransport

FAST = 2**10  # cheap scrypt for tests
PIN = "482913"
CCCD = "038190004271"
DOB = "1990-07-23"
PHONE = "0912345017"
ADDRESS = "Bản Nà Hẩu, xã Mường Lý"
CITIZEN = "Vàng Thị Dở"
CITIZEN_PHONE = "0387654129"
LATITUDE, LONGITUDE = 21.0345678, 105.8123456
PERSONAL = (CCCD, DOB, PHONE, ADDRESS, CITIZEN, CITIZEN_PHONE, str(LATITUDE), str(LONGITUDE))
ANSWERS: dict[str, Any] = {f"q{n}": 4 for n in range(1, 9)} | {
    "q9": False,
    "q10": True,
    "q11": "hmn",
}


# -- helpers ---------------------------------------------------------------------------------


def table_text(path: Path) -> str:
    """Every table's content, as ``sqlite3`` dumps it for someone holding the file."""
    with closing(sqlite3.connect(path)) as conn:
        return "\n".join(conn.iterdump())


def raw_bytes(path: Path) -> bytes:
    """The database file and its WAL, byte for byte (free pages included)."""
    return b"".join(
        p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")) if p.is_file()
    )


def assert_not_in_file(path: Path, *values: str) -> None:
    text, data = table_text(path), raw_bytes(path)
    for value in values:
        assert value not in text, f"{value!r} readable in a table"
        assert value.encode("utf-8") not in data, f"{value!r} in the file's bytes"


def bearer(transport: HttpTransport) -> str:
    """The Authorization header the transport sends."""
    return transport._client.headers()["Authorization"]


def sync(tablet: Tablet, server: FakeServer) -> None:
    report = tablet.sync(FakeTransport(server, tablet.registration.device_no))
    assert report.ok, report.error


def new_tablet(path: Path, server: FakeServer, cipher: FieldCipher | None) -> Tablet:
    tablet = Tablet(path, cipher=cipher)
    tablet.adopt_registration("fake://", server.registration())
    sync(tablet, server)  # the reference data (procedures, survey form)
    return tablet


def fill(tablet: Tablet) -> tuple[str, str, str]:
    """A dossier, a feedback and a survey response carrying every kind of personal data."""
    dossier_id = tablet.create_dossier(
        1,
        "Giàng A Páo",
        applicant_cccd=CCCD,
        applicant_dob=DOB,
        applicant_phone=PHONE,
        applicant_address=ADDRESS,
    )
    feedback_id = tablet.add_feedback(
        "complaint", "Chờ lâu quá", citizen_name=CITIZEN, citizen_phone=CITIZEN_PHONE
    )
    response_id = tablet.add_survey_response(1, ANSWERS, latitude=LATITUDE, longitude=LONGITUDE)
    return dossier_id, feedback_id, response_id


def assert_reads_plain(tablet: Tablet, ids: tuple[str, str, str]) -> None:
    dossier_id, feedback_id, response_id = ids
    dossier = tablet.dossier(dossier_id)
    assert dossier is not None
    assert (
        dossier["applicant_cccd"],
        dossier["applicant_dob"],
        dossier["applicant_phone"],
        dossier["applicant_address"],
    ) == (CCCD, DOB, PHONE, ADDRESS)
    assert tablet.dossiers()[0]["applicant_cccd"] == CCCD
    assert tablet.store.find(dossier_id) == ("dossier", dossier)
    state = tablet.store.read_record("dossier", dossier_id)
    assert state is not None and state.fields["applicant_phone"] == PHONE
    feedback = tablet.store.get("feedback", feedback_id)
    assert feedback is not None
    assert (feedback["citizen_name"], feedback["citizen_phone"]) == (CITIZEN, CITIZEN_PHONE)
    assert feedback in tablet.store.list_records("feedback")
    response = tablet.store.get("survey_response", response_id)
    assert response is not None
    assert (response["latitude"], response["longitude"]) == (LATITUDE, LONGITUDE)


@pytest.fixture
def server() -> FakeServer:
    fake = FakeServer()
    fake.seed_reference()
    return fake


@pytest.fixture
def cipher(tmp_path: Path) -> FieldCipher:
    return Vault(tmp_path / "vault.json", scrypt_n=FAST).set_up(PIN)


@pytest.fixture
def tablet(tmp_path: Path, server: FakeServer, cipher: FieldCipher) -> Iterator[Tablet]:
    made = new_tablet(tmp_path / "tablet.db", server, cipher)
    yield made
    made.close()


# -- what a thief finds in the file ----------------------------------------------------------


def test_a_lost_tablet_file_holds_no_personal_data_in_plain(tablet: Tablet) -> None:
    ids = fill(tablet)
    path = tablet.store.path
    assert_not_in_file(path, *PERSONAL)
    assert ENCRYPTED_PREFIX in table_text(path)
    # The rest is readable (nothing else is encrypted): names, receipt numbers, clocks.
    assert "Giàng A Páo" in table_text(path)
    assert_reads_plain(tablet, ids)


def test_the_officer_reads_plain_values_through_the_store_and_the_tablet(
    tablet: Tablet, tmp_path: Path, cipher: FieldCipher
) -> None:
    ids = fill(tablet)
    tablet.close()
    # After a restart and the PIN unlock, everything reads back.
    with Tablet(tmp_path / "tablet.db", cipher=cipher) as again:
        assert_reads_plain(again, ids)


def test_operations_the_engine_pushes_carry_plain_values(
    tablet: Tablet, server: FakeServer
) -> None:
    dossier_id, feedback_id, response_id = fill(tablet)
    pending = {op.record_id: op.fields for op in tablet.store.pending_operations()}
    assert pending[dossier_id]["applicant_cccd"] == CCCD
    assert pending[dossier_id]["applicant_dob"] == DOB
    assert pending[dossier_id]["applicant_address"] == ADDRESS
    assert pending[feedback_id]["citizen_name"] == CITIZEN
    assert pending[response_id]["latitude"] == LATITUDE
    assert tablet.store.outbox("dossier", dossier_id)[0].op.fields["applicant_phone"] == PHONE
    sync(tablet, server)
    # The server got the real values (the wire protocol is unchanged)...
    on_server = server.get("dossier", dossier_id)
    assert on_server is not None and on_server["applicant_cccd"] == CCCD
    assert server.get("feedback", feedback_id)["citizen_phone"] == CITIZEN_PHONE  # type: ignore[index]
    assert server.get("survey_response", response_id)["longitude"] == LONGITUDE  # type: ignore[index]
    # ...and the acknowledged copy kept as "what the server has" is encrypted too.
    assert tablet.store.pending_count() == 0
    assert_not_in_file(tablet.store.path, *PERSONAL)
    assert_reads_plain(tablet, (dossier_id, feedback_id, response_id))


def test_personal_data_pulled_from_the_server_is_stored_encrypted(
    tablet: Tablet, server: FakeServer, tmp_path: Path
) -> None:
    # A dossier received on another (unprotected) tablet, then corrected on the web.
    with new_tablet(tmp_path / "other.db", server, None) as other:
        dossier_id = other.create_dossier(
            2, "Sùng Thị Mai", applicant_cccd=CCCD, applicant_phone=PHONE, applicant_dob=DOB
        )
        sync(other, server)
    server.edit("dossier", dossier_id, applicant_address=ADDRESS)
    sync(tablet, server)
    dossier = tablet.dossier(dossier_id)
    assert dossier is not None
    assert (dossier["applicant_cccd"], dossier["applicant_address"]) == (CCCD, ADDRESS)
    assert_not_in_file(tablet.store.path, CCCD, PHONE, DOB, ADDRESS)


def test_a_conflict_on_a_phone_number_keeps_both_numbers_encrypted(
    tmp_path: Path, server: FakeServer, cipher: FieldCipher
) -> None:
    other_cipher = Vault(tmp_path / "other-vault.json", scrypt_n=FAST).set_up("731946")
    a = new_tablet(tmp_path / "a.db", server, cipher)
    b = new_tablet(tmp_path / "b.db", server, other_cipher)  # each tablet has its own key
    dossier_id = a.create_dossier(1, "Giàng Seo Chứ", applicant_phone=PHONE)
    sync(a, server)
    sync(b, server)
    a.edit("dossier", dossier_id, applicant_phone="0911111222")
    b.edit("dossier", dossier_id, applicant_phone="0922222111")
    for tablet in (a, b, a):
        sync(tablet, server)
    [conflict] = a.conflicts()
    assert b.conflicts() == [conflict]
    assert conflict["field"] == "applicant_phone"
    assert {conflict["kept_value"], conflict["lost_value"]} == {"0911111222", "0922222111"}
    for tablet in (a, b):
        assert_not_in_file(tablet.store.path, PHONE, "0911111222", "0922222111")
    # Overturning sends the lost number, in plain, to the server.
    a.resolve_conflict(conflict["id"], "overturned")
    sync(a, server)
    sync(b, server)
    assert server.get("dossier", dossier_id)["applicant_phone"] == conflict["lost_value"]  # type: ignore[index]
    assert b.dossier(dossier_id)["applicant_phone"] == conflict["lost_value"]  # type: ignore[index]
    assert_not_in_file(b.store.path, "0911111222", "0922222111")
    a.close()
    b.close()


def test_a_refused_operation_and_the_message_quoting_it_are_stored_encrypted(
    tmp_path: Path, cipher: FieldCipher
) -> None:
    with SQLiteDeviceStore(tmp_path / "s.db", cipher=cipher) as store:
        record_id = new_id()
        op = Operation(
            new_id(),
            "dossier",
            record_id,
            "0midc1z40000" + "1",
            {"applicant_name": "Lò Văn Thắng", "applicant_cccd": CCCD},
            create=True,
        )
        store.record_local(op)
        message = f"Số CCCD {CCCD} không hợp lệ (invalid citizen ID)"
        store.apply_outcomes(
            [
                Outcome(
                    op.op_id,
                    OutcomeKind.REJECTED,
                    reason=Reason.INVALID,
                    message=message,
                    errors={"applicant_cccd": f"{CCCD}?"},
                )
            ]
        )
        [rejected] = store.rejected_operations()
        assert rejected.op == op
        assert rejected.message == message
        assert rejected.errors == {"applicant_cccd": f"{CCCD}?"}
        assert store.outbox()[0].message == message
        assert_not_in_file(store.path, CCCD)


# -- keys -------------------------------------------------------------------------------------


def test_a_wrong_key_cannot_read_the_data(
    tablet: Tablet, tmp_path: Path, cipher: FieldCipher
) -> None:
    dossier_id, _, _ = fill(tablet)
    path = tablet.store.path
    tablet.close()
    stranger = Vault(tmp_path / "stranger.json", scrypt_n=FAST).set_up("735182")
    with pytest.raises(VaultError):
        Tablet(path, cipher=stranger)  # refused before it reads anything
    with closing(sqlite3.connect(path)) as conn:
        [[sealed]] = conn.execute(
            "SELECT json_extract(fields, '$.applicant_cccd') FROM record WHERE id = ?",
            (dossier_id,),
        )
    assert sealed.startswith(ENCRYPTED_PREFIX)
    with pytest.raises(VaultError):
        stranger.decrypt(sealed)
    assert cipher.decrypt(sealed) == CCCD
    # The PIN is the only way to the key.
    with pytest.raises(VaultError):
        Vault(tmp_path / "vault.json", scrypt_n=FAST).unlock("000000")


def test_a_locked_store_refuses_to_read_or_write_personal_data(
    tablet: Tablet, tmp_path: Path
) -> None:
    dossier_id, feedback_id, _ = fill(tablet)
    tablet.store.cipher = None  # the app locked itself
    for read in (
        lambda: tablet.dossier(dossier_id),
        lambda: tablet.store.get("feedback", feedback_id),
        lambda: tablet.store.list_records("dossier"),
        tablet.store.pending_operations,
    ):
        with pytest.raises(StoreLocked):
            read()
    with pytest.raises(StoreLocked):  # no plain copy slips in while locked
        tablet.add_feedback("report", "Đường hỏng", citizen_name="Lầu A Chư")
    assert tablet.store.count_records("feedback") == 1
    # Data that is not personal stays usable (the menu of procedures, counts).
    assert tablet.procedures() and tablet.store.pending_count() == 4


def test_the_device_token_is_stored_encrypted(
    tablet: Tablet, tmp_path: Path, cipher: FieldCipher, server: FakeServer
) -> None:
    token = tablet.registration.token
    assert token == "token-1"
    path = tablet.store.path
    assert_not_in_file(path, token)
    tablet.close()
    # Before the PIN: who the tablet is shows, the token does not (never its ciphertext).
    with Tablet(path) as locked:
        assert locked.registered and locked.registration.device_no == 1
        assert locked.registration.token == ""
        with pytest.raises(StoreLocked):
            locked.store.get_setting("registration.token")
        with pytest.raises(StoreLocked):
            locked.transport()
        locked.store.cipher = cipher  # the PIN unlock
        transport = locked.transport()
        assert bearer(transport) == f"Bearer {token}"
        transport.close()
    with Tablet(path, cipher=cipher) as unlocked:
        assert unlocked.registration.token == token


# -- older data and filters -------------------------------------------------------------------


def test_encrypt_existing_seals_data_saved_before_the_pin(
    tmp_path: Path, server: FakeServer
) -> None:
    tablet = new_tablet(tmp_path / "tablet.db", server, None)
    # As on an SQLite built without SECURE_DELETE: rewritten rows leave old bytes behind.
    tablet.store._connection().execute("PRAGMA secure_delete = OFF")
    acknowledged = fill(tablet)
    sync(tablet, server)
    pending = fill(tablet)  # still in the outbox
    path = tablet.store.path
    assert CCCD in table_text(path) and "token-1" in table_text(path)
    with closing(sqlite3.connect(path)) as conn:  # as SQLite's auto-checkpoint would
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert CCCD.encode() in path.read_bytes()
    # The officer chooses a PIN: plain values already written are still read...
    cipher = Vault(tmp_path / "vault.json", scrypt_n=FAST).set_up(PIN)
    tablet.store.cipher = cipher
    assert tablet.dossier(acknowledged[0])["applicant_cccd"] == CCCD  # type: ignore[index]
    # ...and sealed in one go, old copies in free pages included.
    assert tablet.store.encrypt_existing() > 0
    assert_not_in_file(path, *PERSONAL, "token-1")
    assert tablet.store.encrypt_existing() == 0
    assert_reads_plain(tablet, acknowledged)
    assert tablet.dossier(pending[0])["applicant_phone"] == PHONE  # type: ignore[index]
    assert bearer(tablet.transport()) == "Bearer token-1"
    sync(tablet, server)
    assert server.get("feedback", pending[1])["citizen_name"] == CITIZEN  # type: ignore[index]
    tablet.close()


def test_encrypt_existing_needs_the_key(tmp_path: Path) -> None:
    with SQLiteDeviceStore(tmp_path / "s.db") as store, pytest.raises(StoreLocked):
        store.encrypt_existing()


def test_filters_on_encrypted_fields_are_refused(tablet: Tablet) -> None:
    fill(tablet)
    store = tablet.store
    with pytest.raises(ValueError, match="encrypted"):
        store.list_records("dossier", {"applicant_cccd": CCCD})
    with pytest.raises(SensitiveFilterError):
        store.count_records("feedback", {"citizen_phone": CITIZEN_PHONE})
    with pytest.raises(SensitiveFilterError):
        store.list_records("survey_response", order_by="latitude")
    with pytest.raises(SensitiveFilterError):
        store.list_records("sync_conflict", {"lost_value": PHONE})
    # Searching in Python on what is read works; plain fields filter in SQL as before.
    assert [d for d in store.list_records("dossier") if d.get("applicant_cccd") == CCCD]
    assert store.count_records("dossier", {"status": "received"}) == 1


def test_a_store_without_a_key_keeps_plain_values(tmp_path: Path) -> None:
    with SQLiteDeviceStore(tmp_path / "s.db") as store:
        rid = new_id()
        store.write_fields("feedback", rid, {"citizen_name": (CITIZEN, "0midc1z40000" + "1")})
        store.set_setting("registration.token", "token-9")
        assert store.cipher is None
        assert store.get("feedback", rid) == {"id": rid, "citizen_name": CITIZEN}
        assert store.get_setting("registration.token") == "token-9"
        assert CITIZEN in table_text(store.path)
