"""The sync screen's bar: photos in bytes, and back to empty after a failed sync."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_bytes
from mobile.app.viewmodels.sync import SyncModel
from sync.engine import SyncReport


def test_sizes_as_read() -> None:
    assert fmt_bytes(850) == "850 B"
    assert fmt_bytes(122_880) == "123 KB"
    assert fmt_bytes(3_400_000) == "3,4 MB"


def test_photos_progress_in_bytes_then_reset_after_a_failure(ctx: AppContext) -> None:
    model = SyncModel(ctx)
    model.on_progress("photos", 61_440, 122_880)
    assert model.progress_text == "Đang gửi ảnh: 61 KB/123 KB"
    assert model.progress_value == pytest.approx(0.15)  # half of the photos' 30 %
    model.on_finished(SyncReport(started_at=datetime.now(UTC), error="mất kết nối"))
    assert not model.result_ok
    assert model.progress_value == 0.0 and model.progress_text == "Sẵn sàng"
