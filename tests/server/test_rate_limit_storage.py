"""Rate limits in Redis when it is configured, in memory when it is down or absent (demo)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import World


def _post_login(client: Any) -> int:
    response = client.post("/login", data={"username": "nobody", "password": "wrong"})
    return int(response.status_code)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_login_goes_on_when_redis_is_unreachable(app_factory: Any, world: World) -> None:
    # Nothing listens on port 1: the storage fails, the limits fall back to memory.
    app = app_factory(
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
        WTF_CSRF_ENABLED=False,
        LOGIN_RATE_LIMIT="2 per minute",
    )
    client = app.test_client()
    statuses = [_post_login(client) for _ in range(3)]
    # Never a 500: the first two answered, the third refused by the in-memory fallback.
    assert statuses == [200, 200, 429]
