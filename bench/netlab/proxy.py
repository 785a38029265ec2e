"""Debian's nginx in front of each system under test, as a real deployment has it.

Every server in the lab sits behind the same nginx configuration: HTTP/1.1 keep-alive to
the client and to the server (an ``upstream`` with ``keepalive``, as ``deploy/nginx``
has it), gzip of JSON answers that the server did not compress itself, photo uploads
passed through unbuffered, and — with ``tls`` — TLS 1.2/1.3 with a self-signed
certificate for the relay's address. The TLS handshake crosses the relay like any other
bytes, so its round trips are paid on the emulated link.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProxiedSite", "make_certificate", "nginx_command", "nginx_conf"]


@dataclass(frozen=True)
class ProxiedSite:
    """nginx listens on ``listen_port`` and passes to ``upstream_port`` (both loopback)."""

    listen_port: int
    upstream_port: int


def make_certificate(
    directory: Path,
    address: str,
    *,
    alt_names: str = "",
    names: tuple[str, str] = ("lab-cert.pem", "lab-key.pem"),
) -> tuple[Path, Path]:
    """A self-signed certificate (and its key) for the IP ``address`` and ``alt_names``
    (more subjectAltName entries, e.g. ``DNS:localhost``), valid two days."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / names[0], directory / names[1]
    san = f"IP:{address}" + (f",{alt_names}" if alt_names else "")
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("openssl") or "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=motcua-lab",
            "-addext",
            f"subjectAltName={san}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_conf(prefix: Path, sites: list[ProxiedSite], tls: tuple[Path, Path] | None) -> Path:
    """Write the configuration under ``prefix`` (temp files and logs too); return its path."""
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / name).mkdir(parents=True, exist_ok=True)
    servers = []
    upstreams = []
    for site in sites:
        upstreams.append(
            f"""
    upstream site_{site.upstream_port} {{
        server 127.0.0.1:{site.upstream_port};
        keepalive 16;
    }}"""
        )
        listen = f"127.0.0.1:{site.listen_port}" + (" ssl" if tls else "")
        ssl = (
            f"ssl_certificate {tls[0]};\n        ssl_certificate_key {tls[1]};\n"
            "        ssl_protocols TLSv1.2 TLSv1.3;\n        ssl_session_cache shared:lab:1m;"
            if tls
            else ""
        )
        servers.append(
            f"""
    server {{
        listen {listen};
        {ssl}
        location / {{
            proxy_pass http://site_{site.upstream_port};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_request_buffering off;
            proxy_read_timeout 600s;
            proxy_send_timeout 600s;
        }}
    }}"""
        )
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""user root;
worker_processes 1;
daemon off;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {prefix / "body"};
    proxy_temp_path {prefix / "proxy"};
    fastcgi_temp_path {prefix / "fastcgi"};
    uwsgi_temp_path {prefix / "uwsgi"};
    scgi_temp_path {prefix / "scgi"};
    client_max_body_size 64m;
    keepalive_timeout 75s;
    keepalive_requests 10000;
    gzip on;
    gzip_proxied any;
    gzip_min_length 256;
    gzip_types application/json text/plain;
{"".join(upstreams)}
{"".join(servers)}
}}
"""
    )
    return conf


def nginx_command(prefix: Path, conf: Path) -> list[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(prefix), "-c", str(conf)]
