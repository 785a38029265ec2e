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
    assert "Unknown procedure code 9.999999" in unknown.output
    bad = runner.invoke(args=["due-date", "2.000815", "29/04/2026"])
    assert bad.exit_code == 2
    assert "RECEIVED_AT" in bad.output
