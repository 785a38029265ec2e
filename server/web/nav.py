"""The admin web's menu: each page module registers its own entry, filtered by role."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user

from server.models import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label_vi: str
    label_en: str
    roles: frozenset[Role] | None = None  # None: every logged-in officer
    order: int = 100

    @property
    def label(self) -> str:
        return self.label_en if str(get_locale()) == "en" else self.label_vi


_items: list[NavItem] = []


def nav_item(
    endpoint: str,
    label_vi: str,
    label_en: str,
    *,
    roles: frozenset[Role] | None = None,
    order: int = 100,
) -> None:
    """Add a menu entry (called once at import time by each page module)."""
    if all(item.endpoint != endpoint for item in _items):
        _items.append(NavItem(endpoint, label_vi, label_en, roles, order))


def visible_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return sorted(
        (i for i in _items if i.roles is None or current_user.role in i.roles),
        key=lambda i: (i.order, i.label_vi),
    )


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": visible_items()})
