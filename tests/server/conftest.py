"""A small world for server tests: one province, communes A and B, their people and tablets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from server.models import AdminUnit, Device, Officer, Procedure, Role
from server.scoping import Scope
from server.services.dossiers import ApplicantInput, DossierInput, create_dossier
from tests import factories


@dataclass
class CommuneKit:
    commune: AdminUnit
    village: AdminUnit
    officer: Officer
    leader: Officer
    device: Device
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    province: AdminUnit
    a: CommuneKit
    b: CommuneKit
    procedure: Procedure
    province_admin: Officer
    system_admin: Officer


def _kit(session: Session, province: AdminUnit, name: str) -> CommuneKit:
    commune = factories.commune(session, province, name=name)
    village = factories.village(session, commune)
    officer = factories.officer(session, commune)
    leader = factories.officer(session, commune, Role.COMMUNE_LEADER)
    device, token = factories.device(session, officer)
    return CommuneKit(commune, village, officer, leader, device, token)


def add_dossier(session: Session, kit: CommuneKit, procedure: Procedure, **kw: Any) -> Any:
    data = DossierInput(
        commune_id=kit.commune.id,
        procedure_id=procedure.id,
        applicant=ApplicantInput(
            name=kw.pop("name", "Giàng A Páo"),
            cccd=factories.valid_cccd(date(1990, 5, 17)),
            dob=date(1990, 5, 17),
        ),
        village_id=kit.village.id,
        **kw,
    )
    return create_dossier(session, data, scope=Scope(None), officer=kit.officer)


@pytest.fixture
def world(session: Session) -> World:
    province = factories.province(session)
    a = _kit(session, province, "Tả Van")
    b = _kit(session, province, "Y Tý")
    procedure = factories.procedure(session)
    province_admin = factories.officer(session, province, Role.PROVINCE_ADMIN)
    system_admin = factories.officer(session, None, Role.SYSTEM_ADMIN)
    session.commit()
    return World(province, a, b, procedure, province_admin, system_admin)
