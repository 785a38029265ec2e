"""First run (register online once, choose a PIN) and the offline PIN unlock."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mobile.app.context import AppContext
from mobile.app.platform import NoLocation, Platform
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.setup import FirstRunModel, UnlockModel
from mobile.app.viewmodels.status import StatusBarModel
from mobile.security import MAX_ATTEMPTS, Vault
from mobile.store import StoreLocked
from tests import factories
from tests.conftest import LiveServer
from tests.mobile.app.conftest import PIN, TEST_SCRYPT_N


def _fresh(tmp_path: Path) -> AppContext:
    return AppContext.open(
        tmp_path / "fresh",
        platform=Platform(location=NoLocation(), probe=lambda _url: False),
        scrypt_n=TEST_SCRYPT_N,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_form_is_checked_before_anything_is_sent(tmp_path: Path) -> None:
    ctx = _fresh(tmp_path)
    model = FirstRunModel(ctx)
    assert model.step == "register"
    errors = model.validate("motcua.vn", "", "")
    assert set(errors) == {"server_url", "username", "password"}
    assert "http" in errors["server_url"]
    with pytest.raises(UserError) as refused:
        model.register("", "canbo", "x")
    assert "server_url" in refused.value.errors
    ctx.close()


def test_an_unreachable_server_says_so(tmp_path: Path) -> None:
    ctx = _fresh(tmp_path)
    with pytest.raises(UserError, match="Không kết nối được máy chủ"):
        FirstRunModel(ctx).register(f"http://127.0.0.1:{_closed_port()}", "canbo", "mật khẩu")
    assert not ctx.registered
    ctx.close()


def test_register_online_then_choose_a_pin(
    tmp_path: Path, live_server: LiveServer, world: Any
) -> None:
    ctx = _fresh(tmp_path)
    model = FirstRunModel(ctx)
    with pytest.raises(UserError) as refused:
        model.register(live_server.url, world.a.officer.username, "wrong password")
    assert refused.value.message == "Sai tên đăng nhập hoặc mật khẩu"
    registration = model.register(
        live_server.url + "/", world.a.officer.username, factories.PASSWORD
    )
    assert registration.commune_id == world.a.commune.id
    assert ctx.prefs.server_url == live_server.url
    assert model.step == "pin"
    assert "Tả Van" in model.registered_text()
    for pin, again, field in (("12345", "12345", "pin"), ("246810", "246811", "again")):
        with pytest.raises(UserError) as bad:
            model.choose_pin(pin, again)
        assert field in bad.value.errors
    with pytest.raises(UserError, match="dễ đoán"):
        model.choose_pin("123456", "123456")
    model.choose_pin(PIN, PIN)
    assert ctx.unlocked and model.step == "done"
    ctx.close()


def test_unlock_counts_wrong_pins_and_locks_out(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx()
    ctx.vault.set_up(PIN)
    model = UnlockModel(ctx)
    assert model.masked == "○ ○ ○ ○ ○ ○"
    for digit in "13579":
        assert model.press(digit) is False
    assert model.masked == "● ● ● ● ● ○"
    model.backspace()
    assert model.pin == "1357"
    for digit in "99":
        model.press(digit)
    assert model.failed and model.message == f"Mã PIN không đúng, còn {MAX_ATTEMPTS - 1} lần thử"
    assert model.pin == ""
    for _ in range(MAX_ATTEMPTS - 2):
        for digit in "000111":
            model.press(digit)
    assert "còn 1 lần thử" in model.message
    for digit in "000111":
        model.press(digit)
    assert model.message.startswith("Nhập sai quá nhiều lần")
    for digit in PIN:  # even the right PIN waits out the lockout
        model.press(digit)
    assert not ctx.unlocked and "Thử lại sau" in model.message


def test_unlock_with_the_right_pin(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx()
    ctx.vault.set_up(PIN)
    ctx.tr.set_language("en")
    model = UnlockModel(ctx)
    for digit in "111222":
        model.press(digit)
    assert model.message.startswith("Wrong PIN")
    unlocked = [model.press(d) for d in PIN]
    assert unlocked == [False] * 5 + [True]
    assert ctx.unlocked and ctx.cipher is not None and not model.failed
    ctx.lock()
    assert not ctx.unlocked


def _raw(ctx: AppContext, sql: str, *params: Any) -> list[Any]:
    with sqlite3.connect(ctx.tablet.store.path) as connection:
        return connection.execute(sql, params).fetchall()


def test_the_pin_seals_personal_data_and_locking_forgets_the_key(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx()
    before_pin = ctx.tablet.create_dossier(1, "Giàng A Páo", applicant_cccd="010090123456")
    FirstRunModel(ctx).choose_pin(PIN, PIN)  # as the first run does, after registering
    after_pin = ctx.tablet.create_dossier(1, "Sùng Thị Mai", applicant_phone="0912345678")
    rows = dict(_raw(ctx, "SELECT id, fields FROM record WHERE collection = 'dossier'"))
    assert "010090123456" not in rows[before_pin] and "enc1:" in rows[before_pin]
    assert "0912345678" not in rows[after_pin] and "enc1:" in rows[after_pin]
    [(token,)] = _raw(ctx, "SELECT value FROM setting WHERE key = 'registration.token'")
    assert token.startswith("enc1:")
    assert ctx.tablet.dossier(before_pin)["applicant_cccd"] == "010090123456"  # type: ignore[index]
    ctx.lock()
    with pytest.raises(StoreLocked):
        ctx.tablet.dossier(before_pin)
    view = StatusBarModel(ctx).view()  # the top bar still works while locked
    assert view.commune == "Xã Tả Van" and view.pending == 4
    model = UnlockModel(ctx)
    for digit in PIN:
        model.press(digit)
    assert ctx.unlocked
    assert ctx.tablet.dossier(after_pin)["applicant_phone"] == "0912345678"  # type: ignore[index]
    report = ctx.tablet.sync(ctx.make_transport())  # the sync sends plain values, as before
    assert report.ok and report.rejected == 0


def test_a_vault_that_does_not_match_the_store_is_refused(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    ctx = make_ctx()
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    ctx.lock()
    (ctx.data_dir / "vault.json").unlink()  # say, a vault restored from another tablet
    other = Vault(ctx.data_dir / "vault.json", scrypt_n=TEST_SCRYPT_N)
    other.set_up("975310")
    model = UnlockModel(ctx)
    for digit in "975310":
        model.press(digit)
    assert not ctx.unlocked and model.failed
    assert model.message == "Khóa không khớp với dữ liệu trên máy"
