"""Feedback: recorded fully (anonymous or named, linked to a dossier), due date, answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.feedback import FeedbackModel
from tests.mobile.app.conftest import fixed_clock


def test_record_and_answer(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx(physical=fixed_clock())
    dossier_id = ctx.tablet.create_dossier(1, "Giàng A Páo")
    receipt = ctx.tablet.dossier(dossier_id)["receipt_number"]  # type: ignore[index]
    model = FeedbackModel(ctx)
    assert [label for _, label in model.kinds()] == [
        "Phản ánh",
        "Kiến nghị",
        "Khiếu nại",
        "Khen ngợi",
    ]
    with pytest.raises(UserError) as refused:
        model.record("complaint", "  ", citizen_phone="123", receipt_number="00000-0000-00009")
    assert set(refused.value.errors) == {"content", "phone", "dossier"}
    assert "00000-0000-00009" in refused.value.errors["dossier"]
    feedback_id = model.record(
        "complaint",
        "Hẹn trả kết quả nhưng chưa có",
        citizen_name="Lầu A Chư",
        citizen_phone="0987654321",
        receipt_number=f" {receipt} ",
    )
    record = ctx.tablet.store.get("feedback", feedback_id)
    assert record is not None
    assert record["dossier_id"] == dossier_id and record["subject"] == "dossier"
    assert model.saved_text(feedback_id) == "Đã ghi nhận. Hạn trả lời: 15/04/2026"
    anonymous = model.record("report", "Thiếu ghế chờ", anonymous=True, citizen_name="Ai đó")
    assert (ctx.tablet.store.get("feedback", anonymous) or {}).get("citizen_name") is None
    praise = model.record("praise", "Cán bộ nhiệt tình")
    assert model.saved_text(praise) == "Không cần trả lời"
    rows = model.rows()
    assert len(rows) == 3 and rows[-1]["selected"]  # the last recorded is selected
    titles = {r["record_id"]: r["title"] for r in rows}
    assert titles[anonymous] == "Phản ánh · Giấu tên: Thiếu ghế chờ"
    assert titles[feedback_id].startswith("Khiếu nại · Lầu A Chư:")
    model.select(feedback_id)
    detail = model.detail()
    assert detail is not None and detail.can_answer and detail.response == ""
    assert f"Hồ sơ {receipt}" in detail.lines
    assert "Hạn trả lời: 15/04/2026" in detail.lines
    with pytest.raises(UserError):
        model.answer(" ")
    model.answer("Xã đã trả kết quả ngày 5/3; xin lỗi ông vì chậm trễ.")
    detail = model.detail()
    assert detail is not None
    assert detail.response.startswith("Xã đã trả kết quả")
    assert detail.lines[0].startswith("Đã trả lời")
    assert any(line.startswith("Đã trả lời lúc") for line in detail.lines)
    report = ctx.tablet.sync(ctx.make_transport())
    assert report.ok and report.rejected == 0, report
    assert model.detail().on_server_label == "Đã lên máy chủ"  # type: ignore[union-attr]


def test_nothing_selected(ctx: AppContext) -> None:
    model = FeedbackModel(ctx)
    assert model.detail() is None
    with pytest.raises(UserError, match="Chọn một phản ánh"):
        model.answer("Trả lời")
