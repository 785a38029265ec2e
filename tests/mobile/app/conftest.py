"""Fixtures for the tablet app's tests: an ``AppContext`` on a fake server, no window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mobile.app.context import AppContext
from mobile.app.platform import NoLocation, Platform
from mobile.tablet import Tablet
from sync.hlc import Clock, ManualClock
from tests.sync.fake_server import FakeServer, FakeTransport

#: Cheap scrypt for tests (the app uses ``mobile.security.SCRYPT_N``).
TEST_SCRYPT_N = 2**8
PIN = "246810"
#: Wednesday 4 March 2026, 09:00 at the office (UTC+7): a plain working day.
FIXED_NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def fixed_clock() -> ManualClock:
    return ManualClock(int(FIXED_NOW.timestamp() * 1000))


class FakeCamera:
    """Hands back a prepared photo file, as the file chooser would."""

    def __init__(self, photo: Path | None) -> None:
        self.photo = photo

    def take_photo(self, folder: Path, on_done: Callable[[Path | None], None]) -> None:
        on_done(self.photo)


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "giay-to.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    return path


@pytest.fixture
def make_ctx(
    tmp_path: Path, fake_server: FakeServer, photo_file: Path
) -> Iterator[Callable[..., AppContext]]:
    """App contexts on registered tablets of the fake server (reference data pulled)."""
    made: list[AppContext] = []

    def make(
        tablet: Tablet | None = None, *, online: bool = True, physical: Clock | None = None
    ) -> AppContext:
        if tablet is None:
            tablet = Tablet(tmp_path / f"tablet-{len(made) + 1}.db", physical=physical)
            registration = tablet.adopt_registration("fake://", fake_server.registration())
            report = tablet.sync(FakeTransport(fake_server, registration.device_no))
            assert report.ok, report.error
        state = {"online": online}
        ctx = AppContext.open(
            tmp_path / f"app-{len(made) + 1}",
            tablet=tablet,
            platform=Platform(
                camera=FakeCamera(photo_file),
                location=NoLocation(),
                probe=lambda _url: state["online"],
            ),
            scrypt_n=TEST_SCRYPT_N,
        )
        ctx.prefs.server_url = "http://motcua.test"
        device_no = tablet.registration.device_no
        ctx.transport_factory = lambda: FakeTransport(fake_server, device_no)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def ctx(make_ctx: Callable[..., AppContext]) -> AppContext:
    return make_ctx()
