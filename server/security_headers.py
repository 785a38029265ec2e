"""Security headers on every answer: what a browser may load, frame, sniff and send.

- ``Content-Security-Policy``: scripts only from this site and never inline (no page
  has an inline script or ``on…=`` handler; the API docs start from a static file),
  nothing may frame the pages (``frame-ancestors 'none'``), forms post only here.
  Styles allow ``'unsafe-inline'``: the charts are inline SVG with their own
  ``<style>``, and bar widths are ``style=`` attributes; styles cannot run code.
- ``X-Frame-Options: DENY`` for browsers without CSP level 2.
- ``X-Content-Type-Options: nosniff``: a photo is never run as a script.
- ``Referrer-Policy: same-origin``: a citizen's status address (and an officer's page)
  is never sent to another site.
- ``Strict-Transport-Security`` when cookies are secure (``MOTCUA_SECURE_COOKIES=1``,
  i.e. the site is served over HTTPS only).
"""

from __future__ import annotations

from flask import Flask, Response, current_app

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
