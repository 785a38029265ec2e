"""The command line: thin wrappers that do what they say and fail with clear messages."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Device, Officer, Procedure, Role
from tests.server.conftest import World


def test_load_catalog(app: Flask, session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["load-catalog"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    assert session.scalar(select(func.count()).select_from(Procedure)) >= 15
    again = app.test_cli_runner().invoke(args=["load-catalog"])
    assert "0 created, 0 updated" in again.output


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
    assert "No administrative unit with code nope" in result.output


def test_revoke_device(app: Flask, world: World, session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["revoke-device", world.a.device.id])
    assert result.exit_code == 0, result.output
    session.expire_all()
    device = session.get(Device, world.a.device.id)
    assert device is not None and device.revoked
    missing = app.test_cli_runner().invoke(args=["revoke-device", "no-such-device"])
    assert missing.exit_code != 0
    assert "No device" in missing.output
