"""Colours and sizes of the theme (read by the ``.kv`` files with ``#:import C …``).

Chosen for reading in sunlight at a village meeting: near-black text on white, one
saturated blue for actions, red only for what is late or destructive. Every pair used
for text has a contrast ratio of at least 7:1 (WCAG AAA); touch targets are at least
48 dp high (most are 56 dp).
"""

from __future__ import annotations

RGBA = tuple[float, float, float, float]


def _hex(value: str, alpha: float = 1.0) -> RGBA:
    value = value.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (red, green, blue, alpha)


background: RGBA = _hex("#F4F5F7")
surface: RGBA = _hex("#FFFFFF")
ink: RGBA = _hex("#101418")  # body text
muted: RGBA = _hex("#3A4350")  # secondary text, still 9:1 on white
hint: RGBA = _hex("#6E7782")  # placeholder text: visibly lighter than typed text (4.6:1)
border: RGBA = _hex("#7A8491")
primary: RGBA = _hex("#0A4A96")  # buttons, links: 8.9:1 against white text
primary_down: RGBA = _hex("#06305F")
primary_soft: RGBA = _hex("#DCE8F7")  # selected rows and chosen options
danger: RGBA = _hex("#A50E15")  # overdue, refuse: 7.9:1 against white text
danger_soft: RGBA = _hex("#FBE3E4")
success: RGBA = _hex("#155E2B")
success_soft: RGBA = _hex("#DDF1E2")
warning_soft: RGBA = _hex("#FFE9A8")
warning_ink: RGBA = _hex("#4A3000")
bar: RGBA = _hex("#0B2545")  # the top bar
bar_ink: RGBA = _hex("#FFFFFF")
rail: RGBA = _hex("#E4E8EE")
white: RGBA = (1.0, 1.0, 1.0, 1.0)
online: RGBA = _hex("#3DDC84")
offline: RGBA = _hex("#FF6B6B")
syncing: RGBA = _hex("#FFD166")

#: Sizes in dp (touch targets) and sp (text), before the officer's text-size setting.
touch = 56
touch_small = 48
text = 18
text_small = 15
text_large = 22
text_title = 26
row = 76
rail_width = 210
bar_height = 64
