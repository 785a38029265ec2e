"""Photos on a lost tablet: the files in the blob folder are sealed, read back plain.

A photo of a citizen's papers (ID card, birth certificate…) is personal data like the
fields. Each test looks at the bytes on disk the way a thief would, and at what the
store gives back to the screens and to the sync engine (plain bytes, any range).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

import mobile.security
from mobile.app.context import AppContext
from mobile.app.platform import NoLocation, Platform
from mobile.security import (
    BLOB_SEGMENT,
    DamagedBlob,
    FieldCipher,
    Vault,
    VaultError,
    sealed_blob_size,
)
from mobile.store import SQLiteDeviceStore, StoreError, StoreLocked
from mobile.tablet import Tablet
from tests.sync.fake_server import FakeServer, FakeTransport

FAST = 2**10  # cheap scrypt for tests
PIN = "482913"
#: What a photo of a citizen ID card shows, somewhere in the image's bytes.
REAL_AESGCM = mobile.security.AESGCM
MARKER = "CĂN CƯỚC CÔNG DÂN 038190004271 Giàng A Páo".encode()


def photo(size: int, seed: int = 1) -> bytes:
    """A JPEG-looking photo of ``size`` bytes with the marker in it, twice."""
    body = bytearray(random.Random(seed).randbytes(size))
    body[:4] = b"\xff\xd8\xff\xe0"
    for at in (100, size // 2):
        body[at : at + len(MARKER)] = MARKER
    return bytes(body)


def assert_sealed_on_disk(store: SQLiteDeviceStore, data: bytes) -> None:
    sha = hashlib.sha256(data).hexdigest()
    path = store.blob_path(sha)
    assert path is not None and path.name == sha  # still named by the plain bytes' hash
    raw = path.read_bytes()
    assert len(raw) == sealed_blob_size(len(data))
    assert MARKER not in raw and data[:64] not in raw and data[-64:] not in raw
    leftovers = [p for p in store.blob_dir.rglob("*") if p.is_file() and p != path]
    assert all(MARKER not in p.read_bytes() for p in leftovers)


@pytest.fixture
def cipher(tmp_path: Path) -> FieldCipher:
    return Vault(tmp_path / "vault.json", scrypt_n=FAST).set_up(PIN)


@pytest.fixture
def store(tmp_path: Path, cipher: FieldCipher) -> Iterator[SQLiteDeviceStore]:
    with SQLiteDeviceStore(tmp_path / "tablet.db", cipher=cipher) as opened:
        yield opened


class CountingAESGCM:
    """``AESGCM`` counting the segments it opens."""

    opened = 0

    def __init__(self, key: bytes) -> None:
        self._aead = REAL_AESGCM(key)

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
        return self._aead.encrypt(nonce, data, associated_data)

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
        CountingAESGCM.opened += 1
        return self._aead.decrypt(nonce, data, associated_data)


# -- at rest -----------------------------------------------------------------------------------


def test_a_photo_is_sealed_on_disk_and_read_back_plain(store: SQLiteDeviceStore) -> None:
    data = photo(200_000)
    ref = store.add_blob(data, "image/jpeg")
    assert ref.sha256 == hashlib.sha256(data).hexdigest() and ref.size == len(data)
    assert_sealed_on_disk(store, data)
    assert store.read_blob(ref.sha256, 0, len(data)) == data
    assert store.blob_bytes(ref.sha256) == data
    assert store.blob_info(ref.sha256) == (ref, False)
    # The same bytes again: one file, unchanged.
    path = store.blob_path(ref.sha256)
    assert path is not None
    before = path.read_bytes()
    assert store.add_blob(data, "image/jpeg") == ref
    assert path.read_bytes() == before
    # Empty and tiny photos are sealed too (never stored as they are).
    for tiny in (b"", b"x"):
        small = store.add_blob(tiny, "image/jpeg")
        assert store.blob_bytes(small.sha256) == tiny
        small_path = store.blob_path(small.sha256)
        assert small_path is not None
        assert small_path.stat().st_size == sealed_blob_size(len(tiny)) > len(tiny)
    assert store.blob_bytes("0" * 64) is None


def test_ranged_reads_give_plain_bytes_and_open_only_the_segments_they_cover(
    store: SQLiteDeviceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = photo(5 * BLOB_SEGMENT + 1234)
    sha = store.add_blob(data, "image/jpeg").sha256
    edge = BLOB_SEGMENT
    ranges = [
        (0, 10),
        (1000, 10),
        (edge - 5, 10),  # across a segment boundary
        (edge, edge),  # exactly one segment
        (3 * edge + 7, 256 * 1024),  # an upload chunk from the server's offset, to the end
        (len(data) - 5, 100),  # past the end: what is left
        (len(data), 10),
        (len(data) + 50, 10),
        (123, 0),
    ]
    for offset, size in ranges:
        assert store.read_blob(sha, offset, size) == data[offset : offset + size], (offset, size)
    # As the sync engine reads it: chunks of any size from any offset.
    offset, chunk = 0, 256 * 1024
    uploaded = bytearray()
    while offset < len(data):
        piece = store.read_blob(sha, offset, chunk)
        uploaded += piece
        offset += len(piece)
        chunk = max(8 * 1024, chunk // 2)
    assert bytes(uploaded) == data
    # Efficiency: a small range opens one segment, a range across a boundary two.
    monkeypatch.setattr(mobile.security, "AESGCM", CountingAESGCM)
    CountingAESGCM.opened = 0
    assert store.read_blob(sha, 4 * edge + 10, 100) == data[4 * edge + 10 : 4 * edge + 110]
    assert CountingAESGCM.opened == 1
    CountingAESGCM.opened = 0
    store.read_blob(sha, 2 * edge - 1, 2)
    assert CountingAESGCM.opened == 2


def test_the_sync_uploads_the_plain_photo(tmp_path: Path, cipher: FieldCipher) -> None:
    server = FakeServer()
    server.seed_reference()
    with Tablet(tmp_path / "tablet.db", cipher=cipher) as tablet:
        registration = tablet.adopt_registration("fake://", server.registration())
        transport = FakeTransport(server, registration.device_no)
        assert tablet.sync(transport).ok
        dossier_id = tablet.create_dossier(3, "Giàng A Páo")
        data = photo(300_000, seed=2)
        tablet.attach_photo("dossier", dossier_id, data, "image/jpeg", filename="cccd.jpg")
        assert_sealed_on_disk(tablet.store, data)
        report = tablet.sync(transport)
        assert report.ok, report.error
        assert report.photos_uploaded == 1
        sha = hashlib.sha256(data).hexdigest()
        assert bytes(server.blob_data[sha]) == data
        assert tablet.store.pending_blobs() == []


def test_a_photo_fetched_from_the_server_is_sealed_too(store: SQLiteDeviceStore) -> None:
    data = photo(70_000, seed=3)  # as ``HttpTransport.fetch_blob`` returns it
    ref = store.add_blob(data, "image/png", uploaded=True)
    assert_sealed_on_disk(store, data)
    assert store.blob_info(ref.sha256) == (ref, True)
    assert store.blob_bytes(ref.sha256) == data
    # Taken again on this tablet afterwards: still known to be on the server.
    store.add_blob(data, "image/png")
    assert store.blob_info(ref.sha256) == (ref, True)


# -- keys -------------------------------------------------------------------------------------


def test_a_wrong_key_or_a_damaged_file_fails_clearly(
    tmp_path: Path, store: SQLiteDeviceStore, cipher: FieldCipher
) -> None:
    data, other = photo(150_000), photo(90_000, seed=9)
    sha = store.add_blob(data, "image/jpeg").sha256
    other_sha = store.add_blob(other, "image/jpeg").sha256
    path, other_path = store.blob_path(sha), store.blob_path(other_sha)
    assert path is not None and other_path is not None
    stranger = Vault(tmp_path / "stranger.json", scrypt_n=FAST).set_up("735182")
    with path.open("rb") as handle, pytest.raises(DamagedBlob) as wrong:
        stranger.open_blob(handle, sha, 0, 10)
    assert str(wrong.value) == (
        f"Không mở được ảnh {sha[:12]}: sai khóa hoặc tệp bị hỏng "
        f"(photo {sha[:12]} cannot be opened: wrong key or damaged file)"
    )
    assert isinstance(wrong.value, VaultError)
    # The store itself refuses another key before reading anything.
    with pytest.raises(VaultError, match="không khớp"):
        store.cipher = stranger
    assert store.cipher is cipher
    # A flipped byte, a file cut short, another photo's file under this name.
    sealed = path.read_bytes()
    damaged = bytearray(sealed)
    damaged[len(damaged) // 2] ^= 0x01
    path.write_bytes(bytes(damaged))
    with pytest.raises(DamagedBlob):
        store.blob_bytes(sha)
    assert store.read_blob(sha, 0, 100) == data[:100]  # the segments around it still open
    path.write_bytes(sealed[:-10])
    with pytest.raises(DamagedBlob):
        store.read_blob(sha, len(data) - 10, 10)
    path.write_bytes(other_path.read_bytes() + b"\0" * (len(sealed) - other_path.stat().st_size))
    with pytest.raises(DamagedBlob):
        store.read_blob(sha, 0, 10)
    path.write_bytes(sealed)
    assert store.blob_bytes(sha) == data
    with pytest.raises(StoreError):
        store.read_blob("0" * 64, 0, 1)


def test_a_locked_store_neither_reads_nor_adds_photos(store: SQLiteDeviceStore) -> None:
    data = photo(10_000)
    sha = store.add_blob(data, "image/jpeg").sha256
    store.cipher = None  # the app locked itself
    with pytest.raises(StoreLocked):
        store.read_blob(sha, 0, 10)
    with pytest.raises(StoreLocked):
        store.blob_bytes(sha)
    with pytest.raises(StoreLocked):  # no plain copy slips in while locked
        store.add_blob(photo(5_000, seed=4), "image/jpeg")
    with pytest.raises(StoreLocked):
        store.seal_plain_blobs()
    assert [p.name for p in store.blob_dir.rglob("*") if p.is_file()] == [sha]


# -- photos kept before they were sealed ---------------------------------------------------------


def test_photos_kept_before_the_pin_are_read_then_sealed(tmp_path: Path) -> None:
    store = SQLiteDeviceStore(tmp_path / "tablet.db")  # no PIN yet: stored as they are
    data = photo(100_000)
    sha = store.add_blob(data, "image/jpeg").sha256
    path = store.blob_path(sha)
    assert path is not None and path.read_bytes() == data
    cipher = Vault(tmp_path / "vault.json", scrypt_n=FAST).set_up(PIN)
    store.cipher = cipher
    assert store.read_blob(sha, 500, 20) == data[500:520]  # the old format still reads
    assert store.encrypt_existing() >= 1
    assert_sealed_on_disk(store, data)
    assert store.encrypt_existing() == 0
    assert store.blob_bytes(sha) == data
    store.close()


def test_an_unlock_seals_photos_of_a_tablet_set_up_before_photos_were_sealed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "app"
    tablet = Tablet(folder / "tablet.db")
    ctx = AppContext.open(
        folder, tablet=tablet, platform=Platform(location=NoLocation()), scrypt_n=FAST
    )
    data = photo(80_000)
    sha = tablet.store.add_blob(data, "image/jpeg").sha256
    # An older app: the PIN's key is in use, but the photo stayed plain.
    tablet.store.cipher = ctx.vault.set_up(PIN)
    tablet.store.cipher = None
    path = tablet.store.blob_path(sha)
    assert path is not None and path.read_bytes() == data
    ctx.unlock_with(ctx.vault.unlock(PIN))  # the next start, with this version
    assert_sealed_on_disk(tablet.store, data)
    assert tablet.store.blob_bytes(sha) == data
    ctx.close()


def test_a_reader_keeps_the_file_it_opened_while_photos_are_sealed(
    tmp_path: Path,
) -> None:
    store = SQLiteDeviceStore(tmp_path / "tablet.db")
    data = photo(100_000)
    sha = store.add_blob(data, "image/jpeg").sha256
    store.cipher = Vault(tmp_path / "vault.json", scrypt_n=FAST).set_up(PIN)
    path = store.blob_path(sha)
    assert path is not None
    with path.open("rb") as handle:  # the sync thread, mid-upload
        assert store.seal_plain_blobs() == 1
        handle.seek(1000)
        assert handle.read(10) == data[1000:1010]
    assert store.read_blob(sha, 1000, 10) == data[1000:1010]
    assert store.seal_plain_blobs() == 0
    store.close()
