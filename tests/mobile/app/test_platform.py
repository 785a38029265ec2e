"""Platform facades: data folder, connectivity probe, QR codes."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mobile.app.platform import ConnectivityProbe, NoLocation, default_data_dir
from mobile.app.qr import make_qr_png, qr_available, status_url
from tests.conftest import LiveServer


def test_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "x"))
    assert default_data_dir() == tmp_path / "x"
    monkeypatch.delenv("MOTCUA_DATA_DIR")
    monkeypatch.setenv("ANDROID_PRIVATE", "/data/user/0/vn.motcua.field/files")
    assert default_data_dir() == Path("/data/user/0/vn.motcua.field/files/motcua")
    monkeypatch.delenv("ANDROID_PRIVATE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "motcua-field"


def test_probe_answers_online_for_a_live_server(live_server: LiveServer) -> None:
    assert ConnectivityProbe()(live_server.url) is True
    assert ConnectivityProbe()(live_server.url + "/") is True


def test_probe_answers_offline_fast() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert ConnectivityProbe()(f"http://127.0.0.1:{port}") is False
    assert ConnectivityProbe()("fake://") is False
    calls: list[Any] = []

    def get(url: str, timeout: Any) -> Any:
        calls.append((url, timeout))

        class Reply:
            status_code = 503

        return Reply()

    assert ConnectivityProbe(get=get)("https://motcua.vn") is False
    assert calls == [("https://motcua.vn/api/v1/health", (2.0, 3.0))]


def test_no_gps_on_desktop() -> None:
    location = NoLocation()
    location.start()
    assert location.last_fix() is None
    location.stop()


def test_qr_code_of_the_status_page(tmp_path: Path) -> None:
    assert qr_available()
    url = status_url("https://motcua.laocai.gov.vn/", "08305-2603-00042")
    assert url == "https://motcua.laocai.gov.vn/tra-cuu/08305-2603-00042"
    path = make_qr_png(url, tmp_path / "qr" / "08305-2603-00042.png")
    assert path is not None and path.exists()
    with Image.open(path) as image:
        assert image.size[0] == image.size[1]
