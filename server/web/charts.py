"""Dashboard charts: pygal rendered on the server as inline SVG, with no JavaScript.

Offices may have no internet, so nothing is loaded from elsewhere (``js=[]``). Labels
come from the catalog, the administrative units and our own words — never from text a
citizen typed — and pygal escapes them in the SVG anyway.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import pygal
from flask_babel import gettext
from markupsafe import Markup
from pygal.style import Style

from server.services.reports import (
    CommuneRate,
    MonthCounts,
    ProcedureCounts,
    Satisfaction,
)
from server.services.survey_forms import CommuneResult, QuestionResult

# pygal appends an old-style import hook for its map plugins (which we do not use) to
# sys.meta_path; every failed import anywhere would then warn about its missing
# ``find_spec``. Take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

BLUE, GREEN, RED, PURPLE, AMBER = "#2563a6", "#2f8a4e", "#b3261e", "#6b4fa8", "#c77d00"

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1b1f23",
    foreground_strong="#1b1f23",
    foreground_subtle="#c9ced4",
    font_family='"DejaVu Sans", system-ui, sans-serif',
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=11,
    legend_font_size=13,
    title_font_size=15,
    colors=(BLUE, GREEN, RED, PURPLE, AMBER),
)


def _style(*colors: str) -> Style:
    return Style(**{**STYLE.__dict__, "colors": colors})


def _config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "show_legend": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "width": 720,
        "height": 360,
        "margin": 12,
        "no_data_text": gettext("Chưa có dữ liệu"),
        "print_values": False,
        "show_y_guides": True,
        "truncate_legend": -1,
        "explicit_size": False,
    }
    config.update(overrides)
    return config


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def _svg(chart: Any, label: str) -> Markup:
    svg: str = chart.render(is_unicode=True)
    # Even with js=[] pygal inlines its config for the tooltips script; nothing reads it.
    svg = _SCRIPT.sub("", svg)
    # An accessible name for screen readers; the SVG itself is pygal's escaped output.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1)
    return Markup(svg)  # noqa: S704 - pygal escapes every label it writes


def monthly_chart(months: Sequence[MonthCounts]) -> Markup:
    """Dossiers received / on time / overdue / returned, one group of bars per month."""
    chart = pygal.Bar(**_config(x_label_rotation=0))
    chart.x_labels = [m.label for m in months]
    chart.add(gettext("Tiếp nhận"), [m.counts.received for m in months])
    chart.add(gettext("Đúng hạn"), [m.counts.on_time for m in months])
    chart.add(gettext("Quá hạn"), [m.counts.overdue for m in months])
    chart.add(gettext("Đã trả kết quả"), [m.counts.returned for m in months])
    return _svg(chart, gettext("Hồ sơ theo tháng"))


def shorten(text: str, length: int = 34) -> str:
    """Cut a long procedure name on a word boundary, so the bars keep their room."""
    if len(text) <= length:
        return text
    cut = text[: length - 1].rsplit(" ", 1)[0].rstrip(",;:(")
    return f"{cut}…"


def procedure_chart(procedures: Sequence[ProcedureCounts], *, english: bool) -> Markup:
    """The ten procedures with most dossiers: received and overdue."""
    rows = list(reversed(procedures))  # pygal draws the first bar at the bottom
    chart = pygal.HorizontalBar(
        **_config(
            height=max(220, 70 + 36 * len(rows)),
            print_values=True,
            style=_style(BLUE, RED),
            legend_at_bottom_columns=2,
        )
    )
    chart.x_labels = [shorten(p.name_en if english else p.name_vi) for p in rows]
    chart.add(gettext("Tiếp nhận"), [p.counts.received for p in rows])
    chart.add(gettext("Quá hạn"), [p.counts.overdue or None for p in rows])
    return _svg(chart, gettext("10 thủ tục nhiều hồ sơ nhất"))


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def satisfaction_chart(data: Satisfaction) -> Markup:
    """Share satisfied (4-5 of 5) by commune, or by month when there is one commune."""
    chart = pygal.Bar(
        **_config(
            show_legend=False,
            print_values=True,
            style=_style(GREEN),
            truncate_label=-1,
            range=(0, 100),
            value_formatter=lambda v: f"{v:.0f} %",
        )
    )
    if len(data.by_commune) > 1:
        communes: list[CommuneRate] = data.by_commune
        chart.x_labels = [c.short_name for c in communes]
        chart.add(gettext("Hài lòng"), [_rate(c.rate.rate) for c in communes])
        return _svg(chart, gettext("Tỷ lệ hài lòng theo xã"))
    chart.x_labels = [label for label, _ in data.by_month]
    chart.add(gettext("Hài lòng"), [_rate(rate.rate) for _, rate in data.by_month])
    return _svg(chart, gettext("Tỷ lệ hài lòng theo tháng"))


def survey_commune_chart(by_commune: Sequence[CommuneResult]) -> Markup:
    """A survey form's share of satisfied answers (4-5 of 5) in each commune."""
    chart = pygal.Bar(
        **_config(
            show_legend=False,
            print_values=True,
            style=_style(GREEN),
            truncate_label=-1,
            range=(0, 100),
            height=320,
            value_formatter=lambda v: f"{v:.0f} %",
        )
    )
    chart.x_labels = [c.commune.name for c in by_commune]
    chart.add(gettext("Hài lòng"), [_rate(c.rate.rate) for c in by_commune])
    return _svg(chart, gettext("Tỷ lệ hài lòng theo xã"))


LIKERT_COLOURS = ("#b3261e", "#e07b39", "#c9ced4", "#7fbf8e", "#2f8a4e")


def likert_chart(questions: Sequence[QuestionResult], *, english: bool) -> Markup:
    """How the 1-5 answers of each Likert question are spread, in per cent of its answers.

    Labels are the form's own question texts, written by administrators (and escaped by
    pygal); they are shortened so the bars keep their room.
    """
    rows = [q for q in questions if q.type == "likert5"]
    rows.reverse()  # pygal draws the first bar at the bottom
    chart = pygal.HorizontalStackedBar(
        **_config(
            height=max(200, 90 + 30 * len(rows)),
            style=_style(*LIKERT_COLOURS),
            legend_at_bottom_columns=5,
            range=(0, 100),
            truncate_label=-1,
            width=1100,
            value_formatter=lambda v: f"{v:.0f} %",
        )
    )
    chart.x_labels = [
        f"{q.number}. {shorten(str(q.question.get('text_en' if english else 'text_vi', '')), 60)}"
        for q in rows
    ]
    for score in range(1, 6):
        chart.add(
            str(score),
            [
                round(100 * q.counts[score - 1][3] / q.answered, 1) if q.answered else None
                for q in rows
            ],
        )
    return _svg(chart, gettext("Phân bố điểm đánh giá theo câu hỏi"))
