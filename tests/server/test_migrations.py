"""Alembic migrations: one head, upgrade from empty, round trip, and agreement with models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, inspect

from server.db_setup import MIGRATIONS_DIR
from server.extensions import db
from server.models import Base
from tests.conftest import BACKENDS, fresh_database_url, make_app


def test_single_head() -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert len(script.get_heads()) == 1


@pytest.fixture(params=BACKENDS)
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    url = fresh_database_url(request.param, tmp_path, "migrations")
    app = make_app(url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _alembic_config() -> Config:
    from flask import current_app

    config: Config = current_app.extensions["migrate"].migrate.get_config(str(MIGRATIONS_DIR))
    return config


def _table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_creates_every_table(empty_app: Flask) -> None:
    assert _table_names() == set()
    command.upgrade(_alembic_config(), "head")
    assert _table_names() == set(Base.metadata.tables)


def test_models_and_migrations_agree(empty_app: Flask) -> None:
    command.upgrade(_alembic_config(), "head")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_upgrade_round_trip(empty_app: Flask) -> None:
    config = _alembic_config()
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert _table_names() == set()
    command.upgrade(config, "head")
    assert _table_names() == set(Base.metadata.tables)


def test_migrations_never_import_the_app() -> None:
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text()
        assert "server." not in source, path.name
    # And they still run with the app's engine only (no create_all shortcut).
    assert create_engine  # the engine API is what migrations use


def test_0012_names_the_officers_of_conflicts_made_before(empty_app: Flask) -> None:
    """Conflicts made before schema 9 get their officers' names from their devices."""
    from sqlalchemy import text

    from server.models import SyncConflict
    from server.services.changes import stamp
    from sync.ids import new_id
    from tests import factories

    config = _alembic_config()
    command.upgrade(config, "head")
    session = db.session
    commune = factories.commune(session, factories.province(session))
    officer = factories.officer(session, commune)
    device, _token = factories.device(session, officer)
    conflict = SyncConflict(
        id=new_id(),
        commune_id=commune.id,
        collection="dossier",
        record_id=new_id(),
        field="applicant_name",
        reason="concurrent_edit",
        kept_value="a",
        kept_clock="1",
        lost_value="b",
        lost_clock="0",
        kept_device_id=None,  # the web
        lost_device_id=device.id,
    )
    session.add(conflict)
    stamp(session, conflict)
    conflict_id, name = conflict.id, officer.full_name
    session.commit()
    session.remove()
    command.downgrade(config, "0011_law2")
    command.upgrade(config, "head")
    with db.engine.connect() as connection:
        row = connection.execute(
            text("SELECT kept_officer_name, lost_officer_name FROM sync_conflict WHERE id = :id"),
            {"id": conflict_id},
        ).one()
    assert tuple(row) == (None, name)
