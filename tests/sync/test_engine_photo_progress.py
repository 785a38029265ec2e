"""Upload progress counts bytes, not photos (``SyncEngine._upload_photos``).

Worked example: a 100 KB photo and a 20 KB photo go up in 32 KiB chunks. Counting
photos, the bar would stand at 0/2 through the whole first photo and jump to 1/2 — half
— when five sixths of the bytes are sent. In bytes the reports are the chunk ends:
32768, 65536, 98304, 102400 of 122880 for the first photo, then 102400 + 20480.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile.tablet import Tablet
from sync.engine import SyncEngine
from tests.sync.fake_server import FakeServer, FakeTransport


@pytest.fixture
def tablet(tmp_path: Path) -> Iterator[tuple[Tablet, FakeServer]]:
    server = FakeServer()
    server.seed_reference()
    device = Tablet(tmp_path / "tablet.db")
    device.adopt_registration("fake://", server.registration())
    assert device.sync(FakeTransport(server, 1)).ok
    yield device, server
    device.close()


def test_photo_progress_is_in_bytes(tablet: tuple[Tablet, FakeServer]) -> None:
    device, server = tablet
    dossier = device.create_dossier(1, "Giàng A Páo")
    big, small = b"\xff\xd8" + bytes(102_398), b"\xff\xd8" + b"\x01" * 20_478
    device.attach_photo("dossier", dossier, big, "image/jpeg")
    device.attach_photo("dossier", dossier, small, "image/jpeg")
    phases: list[tuple[str, int, int]] = []
    engine = SyncEngine(
        device.store,
        FakeTransport(server, 1),
        device.clock,
        sleep=lambda _s: None,
        rng=random.Random(1),
        progress=lambda *p: phases.append(p),
    )
    engine.chunk_size = 32 * 1024
    engine.photo_streams = 1  # one after the other, for a sequence to read
    report = engine.sync()
    assert report.ok and report.photos_uploaded == 2, report.error

    photos = [(done, total) for phase, done, total in phases if phase == "photos"]
    assert {total for _done, total in photos} == {122_880}
    assert [done for done, _total in photos] == [
        0,
        32_768,
        65_536,
        98_304,
        102_400,
        102_400,  # the second photo starts where the first ended
        122_880,
        122_880,
    ]
