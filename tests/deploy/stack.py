"""The shipped deployment, run for real in a temporary folder.

``Stack`` starts gunicorn with ``deploy/gunicorn.conf.py`` (one or several nodes) and
Debian's nginx with ``deploy/nginx/motcua.conf``: the site file is the shipped one, with
only its addresses and paths moved into the test's folder (each replacement must match,
so a change to the shipped file that the test no longer covers fails here). nginx runs
in the foreground with its own prefix, pid and logs, on high ports of 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.netlab.proxy import make_certificate

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, made with openssl for this test."""
    return make_certificate(
        folder, "127.0.0.1", alt_names="DNS:localhost", names=("fullchain.pem", "privkey.pem")
    )


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the shipped nginx site no longer has {old!r}"
    return text.replace(old, new)


def render_site(site: str, tmp: Path, https_port: int, http_port: int, upstreams: list[int]) -> str:
    """The shipped site with its addresses and paths moved into ``tmp``."""
    site = _replace(site, "    listen [::]:80;\n", "")
    site = _replace(site, "    listen [::]:443 ssl http2;\n", "")
    site = _replace(site, "listen 80;", f"listen 127.0.0.1:{http_port};")
    site = _replace(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = _replace(site, "/etc/ssl/motcua/", f"{tmp}/ssl/")
    site = _replace(site, "/var/cache/nginx/motcua", f"{tmp}/cache")
    site = _replace(site, "/var/log/nginx/", f"{tmp}/log/")
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in upstreams)
    return _replace(site, "    server 127.0.0.1:8000;\n", servers)


MAIN_CONF = """\
{user}
daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/log/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/tmp/body;
    proxy_temp_path {tmp}/tmp/proxy;
    fastcgi_temp_path {tmp}/tmp/fastcgi;
    uwsgi_temp_path {tmp}/tmp/uwsgi;
    scgi_temp_path {tmp}/tmp/scgi;
    access_log {tmp}/log/access.log;
    include {tmp}/site.conf;
}}
"""


class Gunicorn:
    """``gunicorn -c deploy/gunicorn.conf.py 'server:create_app()'`` on a free port."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "MOTCUA_BIND": f"127.0.0.1:{self.port}",
            "MOTCUA_WORKERS": str(workers),
            "MOTCUA_THREADS": "4",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(DEPLOY / "gunicorn.conf.py"),
            "server:create_app()",
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        wait_until_up(f"{self.url}/api/v1/health", self.process, self.log)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, verify: str | bool = True
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"died at start: {log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2, verify=verify).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"did not start: {log.read_text()[-3000:]}")


class Nginx:
    """Debian's nginx with the shipped site, in front of the given gunicorn ports."""

    def __init__(self, tmp: Path, upstreams: list[int]) -> None:
        if not Path(NGINX).exists():
            if os.environ.get("CI") == "true":
                pytest.fail("nginx is not installed (scripts/setup installs it)", pytrace=False)
            pytest.skip("nginx is not installed (scripts/setup installs it)")
        self.tmp = tmp
        for sub in ("log", "cache", "tmp"):
            (tmp / sub).mkdir(parents=True, exist_ok=True)
        self.cert, _ = self_signed_certificate(tmp / "ssl")
        self.https_port, self.http_port = free_port(), free_port()
        site = (DEPLOY / "nginx" / "motcua.conf").read_text()
        (tmp / "site.conf").write_text(
            render_site(site, tmp, self.https_port, self.http_port, upstreams)
        )
        # As root, nginx's workers would switch to nobody, who cannot write in tmp.
        user = "user root;" if os.geteuid() == 0 else ""
        (tmp / "nginx.conf").write_text(MAIN_CONF.format(tmp=tmp, user=user))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def start(self) -> Nginx:
        log = self.tmp / "log" / "nginx.out"
        command = [
            NGINX,
            "-p",
            str(self.tmp),
            "-c",
            str(self.tmp / "nginx.conf"),
            "-e",
            str(self.tmp / "log" / "error.log"),
        ]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        with open(log, "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out)
        wait_until_up(f"{self.url}/api/v1/health", self.process, log, verify=str(self.cert))
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def stack(
    tmp: Path, env: dict[str, str], nodes: int = 1, workers: int = 2
) -> Iterator[tuple[Nginx, list[Gunicorn]]]:
    """``nodes`` gunicorn nodes behind one nginx; everything stopped afterwards."""
    servers: list[Gunicorn] = []
    proxy: Nginx | None = None
    try:
        for number in range(nodes):
            servers.append(Gunicorn(env, tmp / f"gunicorn-{number}.log", workers).start())
        proxy = Nginx(tmp / "nginx", [server.port for server in servers]).start()
        yield proxy, servers
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()
