"""Fixtures for the tablet's tests: the server world (for live tests) and offline tablets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mobile.tablet import Tablet
from tests.server.conftest import world  # noqa: F401 - re-exported fixture
from tests.sync.fake_server import FakeServer, FakeTransport


@pytest.fixture
def fake_server() -> FakeServer:
    server = FakeServer()
    server.seed_reference()
    return server


@pytest.fixture
def make_tablet(tmp_path: Path, fake_server: FakeServer) -> Iterator[Callable[[], Tablet]]:
    """Registered tablets on the fake server with its reference data pulled."""
    made: list[Tablet] = []

    def make() -> Tablet:
        tablet = Tablet(tmp_path / f"tablet-{len(made) + 1}.db")
        registration = tablet.adopt_registration("fake://", fake_server.registration())
        report = tablet.sync(FakeTransport(fake_server, registration.device_no))
        assert report.ok, report.error
        made.append(tablet)
        return tablet

    yield make
    for tablet in made:
        tablet.close()


@pytest.fixture
def tablet(make_tablet: Callable[[], Tablet]) -> Tablet:
    return make_tablet()
