"""Settings: language and text size remembered, server address checked, PIN changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobile.app.context import PREFS_NAME, AppContext, Prefs
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.settings import SettingsModel
from tests.mobile.app.conftest import PIN


def test_language_font_and_server_are_remembered(ctx: AppContext) -> None:
    model = SettingsModel(ctx)
    model.set_language("en")
    assert ctx.tr("nav.sync") == "Sync"
    model.set_font_scale(1.4)
    assert model.set_server_url(" https://motcua.laocai.gov.vn/ ") == "Server address saved"
    with pytest.raises(UserError) as refused:
        model.set_server_url("motcua.laocai.gov.vn")
    assert "server_url" in refused.value.errors
    saved = Prefs.load(ctx.data_dir / PREFS_NAME)
    assert saved == Prefs("en", 1.4, "https://motcua.laocai.gov.vn", False)
    assert ctx.server_url() == "https://motcua.laocai.gov.vn"
    assert [key for key, _, _ in model.font_sizes()] == ["small", "normal", "large", "huge"]
    assert model.device_text().startswith("Tablet no. 1 · Xã Tả Van · officer Sùng Thị Mai")


def test_change_pin(ctx: AppContext) -> None:
    ctx.vault.set_up(PIN)
    model = SettingsModel(ctx)
    for old, new, again, field in (
        (PIN, "1357", "1357", "new"),
        (PIN, "135792", "135793", "again"),
        ("000000", "135792", "135792", "old"),
    ):
        with pytest.raises(UserError) as refused:
            model.change_pin(old, new, again)
        assert field in refused.value.errors
    assert model.change_pin(PIN, "135792", "135792") == "Đã đổi mã PIN"
    assert ctx.vault.unlock("135792") is not None


def test_damaged_settings_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / PREFS_NAME
    path.write_text("{not json", encoding="utf-8")
    assert Prefs.load(path) == Prefs()
    path.write_text('{"language": "fr", "font_scale": 9, "revoked": "yes"}', encoding="utf-8")
    assert Prefs.load(path) == Prefs()
    assert Prefs.load(tmp_path / "missing.json") == Prefs()
