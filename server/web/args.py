"""Reading optional query-string arguments leniently: a bad value counts as absent."""

from __future__ import annotations

from datetime import date

from flask import request


def arg_int(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def arg_date(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
