"""HTML error pages for the web side (the API answers JSON instead)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from werkzeug.exceptions import HTTPException


def render_error_page(error: HTTPException) -> Any:
    code = error.code or 500
    return render_template("error.html", code=code, message=error.description), code
