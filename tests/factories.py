"""Tiny factories for test data: each makes one valid row with overridable fields."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from server.models import AdminUnit, Device, Officer, Procedure, Role, UnitLevel
from server.services.changes import stamp_global
from server.services.devices import register_device
from server.services.officers import create_officer

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def province(session: Session, name: str = "Lào Cai", **kw: Any) -> AdminUnit:
    n = next(_counter)
    unit = AdminUnit(name=name, kind="Tỉnh", level=UnitLevel.PROVINCE, code=f"P{n}", **kw)
    session.add(unit)
    session.flush()
    stamp_global(session, unit)
    return unit


def commune(session: Session, parent: AdminUnit | None = None, **kw: Any) -> AdminUnit:
    n = next(_counter)
    values = {"name": f"Xã thử {n}", "kind": "Xã", "code": f"{90000 + n}"} | kw
    unit = AdminUnit(level=UnitLevel.COMMUNE, parent_id=parent.id if parent else None, **values)
    session.add(unit)
    session.flush()
    stamp_global(session, unit)
    return unit


def village(session: Session, parent: AdminUnit, name: str | None = None) -> AdminUnit:
    unit = AdminUnit(
        name=name or f"Bản {next(_counter)}",
        kind="Bản",
        level=UnitLevel.VILLAGE,
        parent_id=parent.id,
    )
    session.add(unit)
    session.flush()
    stamp_global(session, unit)
    return unit


def officer(
    session: Session, unit: AdminUnit | None, role: Role = Role.OFFICER, **kw: Any
) -> Officer:
    n = next(_counter)
    values = {"username": f"canbo{n}", "full_name": f"Cán bộ {n}", "password": PASSWORD} | kw
    return create_officer(session, role=role, unit=unit, **values)


def device(session: Session, owner: Officer, name: str = "Máy tính bảng") -> tuple[Device, str]:
    return register_device(session, owner, name=name, app_version="0.1.0")


def procedure(session: Session, processing_days: int = 3, **kw: Any) -> Procedure:
    n = next(_counter)
    values = {
        "code": f"9.{n:06d}",
        "name_vi": f"Thủ tục thử {n}",
        "name_en": f"Test procedure {n}",
        "field": "ho_tich",
        "processing_days": processing_days,
        # Same-day civil-status procedures have the 15:00 rule (see the catalog).
        "cutoff_15h": processing_days == 0,
        "required_documents": [
            {"name_vi": "Tờ khai", "name_en": "Declaration form", "required": True},
            {"name_vi": "CCCD", "name_en": "Citizen ID card", "required": True},
        ],
    } | kw
    proc = Procedure(**values)
    session.add(proc)
    session.flush()
    stamp_global(session, proc)
    return proc


def valid_cccd(born: date = date(1990, 5, 17), sex_female: bool = False) -> str:
    """A 12-digit citizen ID consistent with the birth year (province 010 = Lào Cai)."""
    century_digit = (born.year - 1900) // 100 * 2 + (1 if sex_female else 0)
    return f"010{century_digit}{born.year % 100:02d}{next(_counter) % 1000000:06d}"
