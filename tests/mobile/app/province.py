"""A province of three communes on the fake server, with a procedure on its list of
procedures filed anywhere (Decree 118/2025/NĐ-CP): Tả Van (the tablet's), Sa Pa, Bản Hồ."""

from __future__ import annotations

from tests.sync.fake_server import COMMUNE_ID, FakeServer

SA_PA = 9
BAN_HO = 10
#: "Chứng thực bản sao từ bản chính": on the province's list here.
CERTIFICATION = "2"


def seed_province(server: FakeServer) -> None:
    server.add_reference("admin_unit", COMMUNE_ID, {"kind": "Xã", "parent_id": 1})
    for unit_id, kind, name, code in (
        (SA_PA, "Phường", "Sa Pa", "02929"),
        (BAN_HO, "Xã", "Bản Hồ", "02977"),
    ):
        server.add_reference(
            "admin_unit",
            unit_id,
            {"name": name, "kind": kind, "level": "commune", "code": code, "parent_id": 1},
        )
    server.add_reference("procedure", int(CERTIFICATION), {"receivable_anywhere": True})
