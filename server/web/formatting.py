"""Jinja filters for the admin web and the citizens' page: dates in office time, rates."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Flask, request, url_for
from flask_babel import get_locale

from sync.workdays import OFFICE_TZ


def vn_date(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy, the way Vietnamese forms write dates (a datetime in office time).

    ISO text (a party's date of birth in a dossier's JSON) is read; other text is shown
    as it is.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(OFFICE_TZ)
    return value.strftime("%d/%m/%Y")


def vn_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(OFFICE_TZ).strftime("%H:%M %d/%m/%Y")


def vn_datetime_seconds(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(OFFICE_TZ).strftime("%H:%M:%S %d/%m/%Y")


def compact_json(value: Any, limit: int = 240) -> str:
    """A JSON value as people read it (Vietnamese as is, not ``\\u`` escapes), cut short.

    Plain text: the template escapes it like any other.
    """
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def percent(value: float | None, digits: int = 0) -> str:
    """0.973 → "97 %" (Vietnamese writes a space before the sign; a decimal comma)."""
    if value is None:
        return "—"
    text = f"{value * 100:.{digits}f}"
    if str(get_locale()) != "en":
        text = text.replace(".", ",")
    return f"{text} %"


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text if str(get_locale()) == "en" else text.replace(".", ",")


def url_with_args(**changes: Any) -> str:
    """This page's URL with its query arguments, some changed (for pagination links)."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = str(value)
    return url_for(str(request.endpoint), **values)


def init_app(app: Flask) -> None:
    from server.web.labels import jinja_globals

    app.jinja_env.filters.update(
        vn_date=vn_date,
        vn_datetime=vn_datetime,
        vn_datetime_seconds=vn_datetime_seconds,
        compact_json=compact_json,
        percent=percent,
        number=number,
    )
    app.jinja_env.globals.update(jinja_globals())
    from server.web import audit_labels

    app.jinja_env.globals.update(audit_labels.jinja_globals())
    app.jinja_env.globals["url_with_args"] = url_with_args
    app.jinja_env.globals["is_english"] = lambda: str(get_locale()) == "en"
