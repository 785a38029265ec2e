"""The dashboard (bảng điều khiển): a commune's or the province's figures for a period."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from server.auth.context import current_scope
from server.extensions import db_session
from server.messages import for_web
from server.services import filing_report, reports, sipas
from server.services.errors import Invalid
from server.web import charts
from server.web.access import LEADERS, roles_required
from server.web.args import arg_date, arg_int
from server.web.nav import nav_item

bp = Blueprint("web_dashboard", __name__, url_prefix="/dashboard")
nav_item("web_dashboard.index", "Bảng điều khiển", "Dashboard", roles=LEADERS, order=10)


@bp.get("")
@roles_required(LEADERS)
def index() -> Any:
    session = db_session()
    scope = current_scope()
    now = datetime.now(UTC)
    today = reports.office_today(now)
    kind = request.args.get("period") or reports.PERIOD_SIX_MONTHS
    start, end = arg_date("from"), arg_date("to")
    problem = None
    try:
        period = reports.resolve_period(kind, start, end, today=today)
    except Invalid as error:
        problem = for_web(error.message)
        period = reports.resolve_period(None, None, None, today=today)
    commune_id, procedure_id = arg_int("commune"), arg_int("procedure")
    data = reports.dashboard(
        session, scope, period, now=now, commune_id=commune_id, procedure_id=procedure_id
    )
    english = str(get_locale()) == "en"
    filing = filing_report.filing_table(
        session, reports.narrow(scope, commune_id), period, today=today
    )
    return render_template(
        "dashboard/index.html",
        data=data,
        filing=filing,
        problem=problem,
        kind=kind,
        start=start,
        end=end,
        commune_id=commune_id,
        procedure_id=procedure_id,
        all_communes=reports.communes_in_scope(session, scope),
        procedures=reports.procedures_for_filter(session),
        sipas_elements=[(key, en if english else vi) for key, vi, en in sipas.ELEMENTS],
        monthly_chart=charts.monthly_chart(data.dossiers.by_month),
        procedure_chart=charts.procedure_chart(data.dossiers.top_procedures, english=english),
        satisfaction_chart=charts.satisfaction_chart(data.satisfaction),
        today=today,
        now=now,
    )
