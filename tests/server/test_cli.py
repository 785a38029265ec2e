"""The command line: thin wrappers that do what they say and fail with clear messages."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Device, Officer, Procedure, Role
from tests.server.conftest import World


def test_load_catalog(app: Flask, session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["load-catalog"])
    assert result.exit_code == 0, result.output
    assert "Thủ tục: thêm" in result.output
    assert session.scalar(select(func.count()).select_from(Procedure)) >= 15
    again = app.test_cli_runner().invoke(args=["load-catalog"])
    assert "thêm 0, cập nhật 0" in again.output


def test_create_admin(app: Flask, session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--username",
            "Admin",
            "--password",
            "mat-khau-dai",
            "--full-name",
            "Quản trị viên",
        ]
    )
    assert result.exit_code == 0, result.output
    admin = session.scalar(select(Officer).where(Officer.username == "admin"))
    assert admin is not None and admin.role == Role.SYSTEM_ADMIN


def test_create_admin_refuses_short_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--username", "a", "--password", "short", "--full-name", "A"]
    )
    assert result.exit_code == 1
    assert "Error: Mật khẩu phải có ít nhất 8 ký tự" in result.output


def test_create_province_admin_needs_existing_unit(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--username",
            "p",
            "--password",
            "mat-khau-dai",
            "--full-name",
            "P",
            "--role",
            "province_admin",
            "--unit-code",
            "nope",
        ]
    )
    assert result.exit_code != 0
    assert "Không có đơn vị hành chính mã nope" in result.output
    assert "no unit" not in result.output  # one language per run (issue 10 §16)


def test_revoke_device(app: Flask, world: World, session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["revoke-device", world.a.device.id])
    assert result.exit_code == 0, result.output
    session.expire_all()
    device = session.get(Device, world.a.device.id)
    assert device is not None and device.revoked
    missing = app.test_cli_runner().invoke(args=["revoke-device", "no-such-device"])
    assert missing.exit_code != 0
    assert "Error: Không có máy tính bảng no-such-device\n" in missing.output


def test_revoke_device_by_the_short_id_the_web_shows(
    app: Flask, world: World, session: Session
) -> None:
    """Issue 10 §16: the web shows "…7fbdfad3"; the CLI accepts exactly that."""
    shown = f"…{world.a.device.id[-8:]}"
    result = app.test_cli_runner().invoke(args=["revoke-device", shown])
    assert result.exit_code == 0, result.output
    assert f"#{world.a.device.device_no:02d}" in result.output and shown in result.output
    session.expire_all()
    device = session.get(Device, world.a.device.id)
    assert device is not None and device.revoked
    again = app.test_cli_runner().invoke(args=["reinstate-device", world.a.device.id[-8:]])
    assert again.exit_code == 0, again.output


def test_cli_speaks_one_language(app: Flask, monkeypatch: Any) -> None:
    short = ["create-admin", "--username", "a", "--password", "short", "--full-name", "A"]
    vi = app.test_cli_runner().invoke(args=short)
    assert "Mật khẩu phải có ít nhất 8 ký tự" in vi.output and "password" not in vi.output
    monkeypatch.setenv("MOTCUA_LANG", "en")
    en = app.test_cli_runner().invoke(args=short)
    assert "Error: password needs at least 8 characters" in en.output
    assert "Mật khẩu" not in en.output


def test_restore_refuses_a_folder_in_one_language(
    app: Flask, monkeypatch: Any, tmp_path: Any
) -> None:
    """``motcua restore`` of a folder that is no backup: the refusal in MOTCUA_LANG only."""
    args = ["restore", str(tmp_path), "--yes"]
    vi = app.test_cli_runner().invoke(args=args)
    assert vi.exit_code != 0
    assert "không phải bản sao lưu đầy đủ" in vi.output and "backup" not in vi.output
    monkeypatch.setenv("MOTCUA_LANG", "en")
    en = app.test_cli_runner().invoke(args=args)
    assert "is not a complete backup" in en.output and "bản sao" not in en.output


def test_due_date_prints_the_appointment(app: Flask, session: Session) -> None:
    """``motcua due-date``: worked cases with their legal source (README "Due dates")."""
    cases = [
        # Decree 23/2015 art. 7: certification received at 15:00 on Wed 29/04/2026 stays
        # the same day, by the end of the office day; at 15:01 the next working day
        # after 30/04, 01/05 and the weekend.
        (["2.000815", "2026-04-29T15:00"], "2026-04-29 17:00"),
        (["2.000815", "2026-04-29T15:01:00+07:00"], "2026-05-04 17:00"),
        (["2.000815", "2026-04-29T08:01:00Z"], "2026-05-04 17:00"),
        # Law on Civil Status art. 18(2): marriage with verification, 5 working days
        # across Tết 2026.
        (["1.000894", "2026-02-12 10:00", "--verification"], "2026-02-26"),
        # Land Law 2024 art. 235, Civil Code art. 147-148: 30 calendar days ending on
        # Sunday 08/03/2026 -> Monday 09/03/2026.
        (["1.012812", "2026-02-06T10:00"], "2026-03-09"),
        # Temporary residence, 3 working days, with notice 12729/VPCP-KGVX (Fri 02/01/2026
        # off) from the shipped day-off decisions.
        (["1.004194", "2025-12-31T16:00"], "2026-01-07"),
    ]
    runner = app.test_cli_runner()
    for args, expected in cases:
        result = runner.invoke(args=["due-date", *args])
        assert result.exit_code == 0, result.output
        assert result.output == expected + "\n", args
    # Once the catalog is in the database the same answers come from it.
    assert runner.invoke(args=["load-catalog"]).exit_code == 0
    for args, expected in cases:
        assert runner.invoke(args=["due-date", *args]).output == expected + "\n", args


def test_due_date_refuses_bad_input(app: Flask) -> None:
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["due-date", "9.999999", "2026-04-29T10:00"])
    assert unknown.exit_code == 1
    assert "Không có thủ tục mã 9.999999" in unknown.output  # one language (issue 10 §16)
    bad = runner.invoke(args=["due-date", "2.000815", "29/04/2026"])
    assert bad.exit_code == 2
    assert "RECEIVED_AT" in bad.output
