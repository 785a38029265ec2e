"""Fixtures shared by every test: databases (SQLite and PostgreSQL), the app, a client.

Server tests run once per database backend. PostgreSQL tests use their own schema per
xdist worker. Under ``CI=true`` an unreachable PostgreSQL fails the run instead of
skipping, so a green CI always means both databases were tested.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from werkzeug.serving import make_server

os.environ.setdefault("MOTCUA_SECRET_KEY", "test-secret-key")

from server import create_app
from server.auth.passwords import use_fast_hashing_for_tests
from server.extensions import db
from server.models import Base
from tests.faults.tally import TALLY as FAULT_TALLY
from tests.faults.tally import WORKER_KEY as FAULT_TALLY_KEY

use_fast_hashing_for_tests()

#: The checkout's instance folder (the demo's database, photos and secret): no test may
#: write there (``_instance_folder_is_untouched``).
INSTANCE = Path(__file__).resolve().parents[1] / "instance"
#: Where the apps the tests make keep their files: a temporary folder per process.
TEST_FILES = Path(tempfile.mkdtemp(prefix="motcua-tests-"))
atexit.register(shutil.rmtree, TEST_FILES, ignore_errors=True)
# Apps made outside ``make_app`` (CLI runs, servers in child processes) inherit this.
os.environ.setdefault("MOTCUA_BLOB_DIR", str(TEST_FILES / "blobs"))

POSTGRES_URL = os.environ.get(
    "MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


_created_schemas: list[str] = []


def _drop_created_schemas() -> None:
    if not _created_schemas:
        return
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        for schema in _created_schemas:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()
    _created_schemas.clear()


def postgres_available() -> str | None:
    """None if PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL unreachable at {POSTGRES_URL}: {error}"
    return None


def require_postgres() -> None:
    problem = postgres_available()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(problem + " (CI requires PostgreSQL; not skipping)", pytrace=False)
    pytest.skip(problem)


def fresh_database_url(backend: str, tmp_dir: Path, name: str) -> str:
    """An empty database for ``backend``: a new SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / (name + '.sqlite3')}"
    require_postgres()
    # The process id keeps concurrent runs (xdist workers, other checkouts) apart.
    schema = f"t{os.getpid()}_{name}".lower()
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    if schema not in _created_schemas:
        _created_schemas.append(schema)
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", autouse=True)
def _postgres_schemas_are_dropped() -> Iterator[None]:
    yield
    _drop_created_schemas()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database per backend per worker, with the schema created once."""
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("db"), "app")
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


def _empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(text(f"DELETE FROM {table}"))


def make_app(database_url: str, **overrides: Any) -> Flask:
    """A test app; its photos go to a fresh temporary folder unless ``overrides`` say."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MOTCUA_BLOB_DIR": tempfile.mkdtemp(prefix="blobs-", dir=TEST_FILES),
        **overrides,
    }
    return create_app(config)


def instance_state() -> dict[str, tuple[int, int]]:
    """Every path under ``instance/`` with its size and modification time."""
    if not INSTANCE.exists():
        return {}
    state = {".": (0, INSTANCE.stat().st_mtime_ns)}
    for path in INSTANCE.rglob("*"):
        info = path.lstat()
        state[str(path.relative_to(INSTANCE))] = (info.st_size, info.st_mtime_ns)
    return state


@pytest.fixture(scope="session", autouse=True)
def _instance_folder_is_untouched() -> Iterator[None]:
    """Fails the run if any test created, changed or removed something in ``instance/``.

    (A demo server running from the same checkout during the tests would trip it too.)
    """
    before = instance_state()
    yield
    after = instance_state()
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    if changed:
        pytest.fail(
            f"tests touched {INSTANCE}: {', '.join(changed[:20])}"
            + (f" and {len(changed) - 20} more" if len(changed) > 20 else ""),
            pytrace=False,
        )


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    application = make_app(database_url)
    with application.app_context():
        yield application
        db.session.remove()
        _empty_all_tables(db.engine)
        db.engine.dispose()


@pytest.fixture
def app_factory(app: Flask, database_url: str) -> Iterator[Any]:
    """Make extra apps on the test database with other settings; closed afterwards."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        application = make_app(database_url, **overrides)
        made.append(application)
        return application

    yield factory
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test app served over real HTTP on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Any:
    return db.session


# -- fault-injection counts (tests/faults/tally.py), also under pytest-xdist ----------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and FAULT_TALLY.rows:
        workeroutput[FAULT_TALLY_KEY] = FAULT_TALLY.dump()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    rows = getattr(node, "workeroutput", {}).get(FAULT_TALLY_KEY)
    if rows:
        FAULT_TALLY.load(rows)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    FAULT_TALLY.write_summary(terminalreporter)
