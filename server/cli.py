"""Command line: ``motcua <command>`` (or ``flask --app server <command>``).

Commands are thin wrappers over service functions. They speak Vietnamese, or English
with ``MOTCUA_LANG=en`` (server.messages.for_cli), one language per run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.serving import run_simple

from server.extensions import db, db_session
from server.messages import for_cli
from server.models import AdminUnit, Officer, Procedure, Role
from server.services import catalog, day_offs, devices, officers
from server.services.errors import ServiceError
from server.translatable import msg
from sync.workdays import DayOffDecisions, DeadlineRule, appointment, parse_received_at

F = TypeVar("F", bound=Callable[..., Any])


def service_errors_as_messages(func: F) -> F:
    """Show a service's refusal as a one-line error instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(for_cli(error.message)) from error

    return wrapper  # type: ignore[return-value]


@click.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--full-name", required=True)
@click.option(
    "--role",
    type=click.Choice([Role.SYSTEM_ADMIN.value, Role.PROVINCE_ADMIN.value]),
    default=Role.SYSTEM_ADMIN.value,
    show_default=True,
)
@click.option("--unit-code", help="Province code, for a province administrator.")
@with_appcontext
@service_errors_as_messages
def create_admin(
    username: str, password: str, full_name: str, role: str, unit_code: str | None
) -> None:
    """Create an administrator account."""
    unit = None
    if unit_code:
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == unit_code))
        if unit is None:
            raise click.ClickException(
                for_cli(msg("Không có đơn vị hành chính mã %(unit_code)s", unit_code=unit_code))
            )
    officer = officers.create_officer(
        db_session(),
        username=username,
        password=password,
        full_name=full_name,
        role=Role(role),
        unit=unit,
    )
    db.session.commit()
    click.echo(for_cli(msg("Đã tạo tài khoản %(username)s", username=officer.username)))


@click.command("load-catalog")
@with_appcontext
def load_catalog() -> None:
    """Load or update the shipped procedure catalog (idempotent)."""
    created, updated = catalog.load_catalog(db_session())
    days_off = day_offs.load_default(db_session())
    db.session.commit()
    click.echo(
        for_cli(
            msg("Thủ tục: thêm %(created)s, cập nhật %(updated)s", created=created, updated=updated)
        )
    )
    click.echo(for_cli(msg("Quyết định nghỉ, làm bù: thêm %(days_off)s", days_off=days_off)))


@click.command("due-date")
@click.argument("procedure_code")
@click.argument("received_at")
@click.option(
    "--verification",
    is_flag=True,
    help="The officer recorded that verification is needed (the extension applies).",
)
def due_date_command(procedure_code: str, received_at: str, verification: bool) -> None:
    """Print the appointment of a dossier: YYYY-MM-DD, then HH:MM when it has an hour.

    RECEIVED_AT is an ISO 8601 date-time, e.g. 2026-04-29T15:01, 2026-04-29 15:01:00,
    2026-04-29T08:01:00Z or 2026-04-29T15:01+07:00; without an offset it is Vietnam
    time (Asia/Ho_Chi_Minh, UTC+7). The computation is sync.workdays.appointment, the
    one the tablet and the web use, with the procedure and the day-off decisions of the
    database when it has the procedure, else those shipped in server/catalog/.
    """
    try:
        moment = parse_received_at(received_at)
    except ValueError as error:
        raise click.BadParameter(for_cli(str(error)), param_hint="RECEIVED_AT") from None
    procedure, decisions = _deadline_data(procedure_code)
    if procedure is None:
        raise click.ClickException(
            for_cli(msg("Không có thủ tục mã %(procedure_code)s", procedure_code=procedure_code))
        )
    try:
        rule = DeadlineRule.of(procedure)
        result = appointment(moment, rule, verification=verification, decisions=decisions)
    except ValueError as error:
        raise click.ClickException(for_cli(str(error))) from None
    click.echo(str(result))


def _deadline_data(code: str) -> tuple[Any, DayOffDecisions]:
    """The procedure and decisions from the database if it knows the code, else shipped."""
    from flask import current_app

    try:
        with current_app.app_context():
            procedure = db.session.scalar(select(Procedure).where(Procedure.code == code))
            if procedure is not None:
                return procedure, day_offs.current(db_session())
    except (RuntimeError, SQLAlchemyError):
        db.session.rollback()  # no database, or not migrated: use the shipped files
    shipped = {entry["code"]: entry for entry in catalog.read_catalog()}
    return shipped.get(code), day_offs.decisions_of(day_offs.read_default())


@click.command("seed-survey")
@with_appcontext
def seed_survey() -> None:
    """Publish the default satisfaction survey (Decision 1001/QĐ-BNV) to every commune."""
    from server.services import sipas

    form, created = sipas.ensure_default_form(db_session())
    db.session.commit()
    state = msg("đã tạo và phát hành") if created else msg("đã có")
    click.echo(
        for_cli(msg("Phiếu khảo sát %(key)s v%(version)s: ", key=form.key, version=form.version))
        + for_cli(state)
    )


@click.command("seed-demo")
@click.option("--dossiers-per-commune", default=80, show_default=True)
@click.option("--seed", default=2026, show_default=True, help="Random seed (same data each time)")
@with_appcontext
def seed_demo(dossiers_per_commune: int, seed: int) -> None:
    """Fill an empty database with a realistic demo province."""
    from server.demo import seed_demo_province

    if db.session.scalar(select(func.count()).select_from(Officer)):
        raise click.ClickException(
            for_cli(msg("Cơ sở dữ liệu đã có tài khoản; không thêm dữ liệu mẫu"))
        )
    summary = seed_demo_province(db_session(), seed=seed, dossiers_per_commune=dossiers_per_commune)
    db.session.commit()
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@click.command("revoke-device")
@click.argument("device_id")
@with_appcontext
@service_errors_as_messages
def revoke_device(device_id: str) -> None:
    """Revoke a lost or stolen tablet; it is refused at its next request."""
    device = devices.find_device(db_session(), device_id)
    devices.revoke_device(db_session(), device, by=None)
    db.session.commit()
    label = devices.device_label(device)
    click.echo(for_cli(msg("Đã thu hồi máy %(label)s", label=label)))


@click.command("reinstate-device")
@click.argument("device_id")
@with_appcontext
@service_errors_as_messages
def reinstate_device(device_id: str) -> None:
    """Accept a revoked tablet again; its unsent changes go out at its next sync."""
    device = devices.find_device(db_session(), device_id)
    devices.reinstate_device(db_session(), device, by=None)
    db.session.commit()
    label = devices.device_label(device)
    click.echo(for_cli(msg("Đã cho phép lại máy %(label)s", label=label)))


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Upgrade the database, add demo data if it is empty, and serve the app."""
    from flask import current_app

    from server.demo import DEMO_LOGINS

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    upgrade()
    if not db.session.scalar(select(func.count()).select_from(Procedure)):
        # Only into an empty database: never over procedures edited on the web.
        catalog.load_catalog(db_session())
        day_offs.load_default(db_session())
        db.session.commit()
    if not db.session.scalar(select(func.count()).select_from(Officer)):
        ctx.invoke(seed_demo)
    click.echo("")
    base = f"http://{host}:{port}"
    click.echo(for_cli(msg("Trang quản trị: %(url)s", url=f"{base}/")))
    click.echo(for_cli(msg("Tài liệu API: %(url)s", url=f"{base}/api/v1/docs/")))
    click.echo(f"OpenAPI: {base}/api/v1/openapi.json")
    click.echo(for_cli(msg("Tài khoản mẫu (tên đăng nhập / mật khẩu mẫu):")))
    for username, password, what in DEMO_LOGINS:
        click.echo(f"  {username:<14} {password:<12} {for_cli(what)}")
    # The background jobs run in this process on the demo (production: motcua-worker and
    # motcua-scheduler): the same schedule and the same queue, on SQLite.
    from server.jobs.schedule import start_in_process

    start_in_process(app)
    click.echo(for_cli(msg("Việc nền: chạy trong tiến trình này — motcua jobs list")))
    # Flask's app.run() refuses to start inside its own CLI; serve with werkzeug directly.
    run_simple(host, port, app, threaded=True, use_reloader=False)


@click.command("backup")
@click.option("--dir", "target", help="Where to write (default: MOTCUA_BACKUP_DIR).")
@click.option(
    "--prune/--no-prune",
    default=True,
    show_default=True,
    help="Remove the copies past the retention afterwards.",
)
@with_appcontext
def backup_command(target: str | None, prune: bool) -> None:
    """Back up the database and the photos, consistently, into one folder."""
    from pathlib import Path

    from flask import current_app

    from server import backup

    config = current_app.config
    folder = Path(target or config["BACKUP_DIR"])
    db.session.commit()  # hold no transaction open during the dump
    try:
        made = backup.make_backup(
            config["SQLALCHEMY_DATABASE_URI"], Path(config["MOTCUA_BLOB_DIR"]), folder
        )
    except backup.BackupError as error:
        raise click.ClickException(for_cli(error.args[0])) from error
    click.echo(for_cli(msg("Bản sao lưu: %(folder)s", folder=str(made))))
    if prune:
        for old in backup.prune(folder, backup.Retention.from_config(config)):
            click.echo(for_cli(msg("Đã xóa (quá thời hạn lưu giữ): %(name)s", name=old.name)))


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(folder: str, yes: bool) -> None:
    """Replace the database and add back the photos from a backup folder."""
    from pathlib import Path

    from flask import current_app

    from server import backup

    if not yes:
        click.confirm(
            for_cli(msg("Thay cơ sở dữ liệu của máy chủ này bằng bản sao lưu?")), abort=True
        )
    config = current_app.config
    db.session.remove()
    db.engine.dispose()
    try:
        result = backup.restore(
            config["SQLALCHEMY_DATABASE_URI"], Path(config["MOTCUA_BLOB_DIR"]), Path(folder)
        )
    except backup.BackupError as error:
        raise click.ClickException(for_cli(error.args[0])) from error
    restored = msg(
        "Đã phục hồi cơ sở dữ liệu %(database)s, %(photos)s ảnh; kỷ nguyên mới %(epoch)s: "
        "máy tính bảng sẽ gửi lại những gì đã gửi từ đó.",
        database=result["database"],
        photos=result["photos_restored"],
        epoch=result["epoch"],
    )
    click.echo(for_cli(restored))


def init_app(app: Flask) -> None:
    from server.jobs.cli import jobs_cli

    commands = (
        create_admin,
        load_catalog,
        seed_survey,
        seed_demo,
        revoke_device,
        reinstate_device,
        demo,
        due_date_command,
        backup_command,
        restore_command,
        jobs_cli,
    )
    for command in commands:
        app.cli.add_command(command)


def _create_app(*_: Any) -> Flask:
    from server import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Một Cửa Field server commands."""
