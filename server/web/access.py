"""Role checks for web views; data scoping itself lives in server.scoping."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask_login import current_user, login_required

from server.models import Role
from server.services.errors import Forbidden
from server.translatable import msg

F = TypeVar("F", bound=Callable[..., Any])

LEADERS = frozenset({Role.COMMUNE_LEADER, Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN})
ADMINS = frozenset({Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN})


def roles_required(roles: frozenset[Role]) -> Callable[[F], F]:
    """Log-in required, and one of ``roles``; otherwise 403 with a clear message."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                raise Forbidden(msg("Tài khoản của bạn không có quyền xem trang này"))
            return view(*args, **kwargs)

        return login_required(wrapper)  # type: ignore[no-any-return]

    return decorator
