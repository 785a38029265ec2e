"""The parties block of a slip: every person (and fact) the procedure's form recorded.

Kept apart from the forms themselves, so any form can print it with one call::

    story += parties_block(styles, data)

One paragraph per party ("Bên nữ: Giàng Thị Mai; Ngày sinh: 05/04/2001; …"), then the
dossier's facts; nothing when the dossier has none.
"""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph

from sync.slips import fmt
from sync.slips.data import DossierSlipData
from sync.slips.layout import Styles

__all__ = ["parties_block"]


def parties_block(styles: Styles, data: DossierSlipData) -> list[Flowable]:
    if not data.parties:
        return []
    story: list[Flowable] = [Paragraph("Các bên và thông tin trong hồ sơ:", styles.body)]
    for label, fields in data.parties:
        text = "; ".join(f"{fmt.x(name)}: <b>{fmt.x(value)}</b>" for name, value in fields)
        story.append(Paragraph(f"<b>{fmt.x(label)}</b> — {text}", styles.item))
    return story
