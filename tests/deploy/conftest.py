"""Fixtures of the deployment tests: the server world on PostgreSQL, Redis, the stack's env."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.faults.conftest import field_world
from tests.server.conftest import world

__all__ = ["field_world", "world"]

REDIS_URL = os.environ.get("MOTCUA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable at {REDIS_URL}: {error}", pytrace=False)
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error}")
    return REDIS_URL


def stack_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of /etc/motcua/motcua.env, pointed at the test's database and folders."""
    metrics = tmp_path / "prometheus"
    return {
        "DATABASE_URL": database_url,
        "MOTCUA_SECRET_KEY": "deploy-tests",
        "MOTCUA_BLOB_DIR": str(tmp_path / "blobs"),
        "MOTCUA_PROXY_COUNT": "1",
        "MOTCUA_SECURE_COOKIES": "1",
        "MOTCUA_LOG_FORMAT": "json",
        "MOTCUA_RATELIMIT_KEY_PREFIX": f"motcua-test-{uuid.uuid4().hex[:12]}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        **extra,
    }


def only_postgres() -> pytest.MarkDecorator:
    """Run a test on PostgreSQL only (the production database)."""
    return pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
