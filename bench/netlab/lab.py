"""The lab itself: two namespaces, a veth pair, tc + nftables, the relay, cleanup."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from bench.netlab.nsutil import enter_netns, ns_cmd, run, run_in_netns
from bench.netlab.profiles import PROFILES, Profile
from bench.netlab.relay import Relay, RelayStats, Route, Shape

__all__ = ["LabUnavailable", "LinkCounters", "NetLab", "namespaces_available"]

NFT_TABLE = "mcflab"
_OPEN: set[NetLab] = set()
_LOCK = threading.Lock()
_HANDLERS_INSTALLED = False


class LabUnavailable(RuntimeError):
    """The kernel or the sandbox does not let us build the lab (the message says why)."""


@dataclass(frozen=True)
class LinkCounters:
    """Bytes and packets on the client's end of the veth (IP packets, headers included)."""

    tx_bytes: int = 0  # up
    rx_bytes: int = 0  # down
    tx_packets: int = 0
    rx_packets: int = 0

    def minus(self, other: LinkCounters) -> LinkCounters:
        return LinkCounters(
            self.tx_bytes - other.tx_bytes,
            self.rx_bytes - other.rx_bytes,
            self.tx_packets - other.tx_packets,
            self.rx_packets - other.rx_packets,
        )


def _cleanup_all() -> None:
    with _LOCK:
        labs = list(_OPEN)
    for lab in labs:
        lab.close()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _cleanup_all()
    raise SystemExit(128 + signum)


def _install_handlers() -> None:
    global _HANDLERS_INSTALLED
    if _HANDLERS_INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    atexit.register(_cleanup_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    _HANDLERS_INSTALLED = True


def namespaces_available() -> str | None:
    """``None`` when the lab can be built here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "not root (network namespaces need CAP_SYS_ADMIN)"
    for tool in ("ip", "tc", "nft"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (apt-get install -y iproute2 nftables)"
    return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class NetLab:
    """Server namespace ``srv`` and client namespace ``cli`` joined by a veth pair.

    Use as a context manager. ``index`` (0–255) picks the subnet ``10.77.<index>.0/30``
    so several labs can run side by side; the server end is ``.1``, the client ``.2``.
    With ``emulate=True`` (or when namespaces are unavailable and ``allow_fallback``)
    nothing is created: server, relay and client share loopback and the relay emulates
    the link in user space.
    """

    def __init__(
        self,
        index: int = 0,
        *,
        emulate: bool = False,
        allow_fallback: bool = True,
        tag: str | None = None,
    ) -> None:
        if not 0 <= index <= 255:
            raise ValueError("index must be 0..255")
        self.index = index
        tag = tag or str(os.getpid())
        self.srv = f"mcflab-{tag}-{index}-srv"
        self.cli = f"mcflab-{tag}-{index}-cli"
        suffix = f"{index}{tag}"[-9:]
        self.srv_if = f"mcf{suffix}s"
        self.cli_if = f"mcf{suffix}c"
        self.srv_ip = f"10.77.{index}.1"
        self.cli_ip = f"10.77.{index}.2"
        self.emulated = emulate
        self.allow_fallback = allow_fallback
        self.fallback_reason: str | None = "requested with --emulate" if emulate else None
        self.profile: Profile = PROFILES["lan"]
        self.relay: Relay | None = None
        self._routes: list[Route] = []
        self._made: list[str] = []  # namespaces we created
        self._procs: list[subprocess.Popen[bytes]] = []
        self._closed = False

    # -- life cycle ----------------------------------------------------------------------------

    def __enter__(self) -> NetLab:
        _install_handlers()
        with _LOCK:
            _OPEN.add(self)
        try:
            self.up()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def up(self) -> None:
        if self.emulated:
            return
        reason = namespaces_available()
        try:
            if reason is not None:
                raise LabUnavailable(reason)
            self._build()
        except (LabUnavailable, RuntimeError, OSError) as error:
            self._teardown_namespaces()
            if not self.allow_fallback:
                raise LabUnavailable(str(error)) from error
            self.emulated = True
            self.fallback_reason = str(error)
            print(
                f"netlab: namespaces/tc unavailable ({error}); falling back to the loopback "
                "relay that EMULATES bandwidth, delay and loss in user space",
                file=sys.stderr,
            )

    def _build(self) -> None:
        for ns in (self.srv, self.cli):
            run(["ip", "netns", "add", ns])
            self._made.append(ns)
        run(["ip", "link", "add", self.srv_if, "type", "veth", "peer", "name", self.cli_if])
        # Moved at once: from here on nothing of ours lives in the root namespace.
        run(["ip", "link", "set", self.srv_if, "netns", self.srv])
        run(["ip", "link", "set", self.cli_if, "netns", self.cli])
        for ns, dev, ip in (
            (self.srv, self.srv_if, self.srv_ip),
            (self.cli, self.cli_if, self.cli_ip),
        ):
            run(["ip", "-n", ns, "addr", "add", f"{ip}/30", "dev", dev])
            run(["ip", "-n", ns, "link", "set", "dev", dev, "up"])
            run(["ip", "-n", ns, "link", "set", "dev", "lo", "up"])
        # Probe tc and nftables now, so a missing feature is reported before any work.
        run(
            ns_cmd(
                self.srv,
                "tc",
                "qdisc",
                "replace",
                "dev",
                self.srv_if,
                "root",
                "tbf",
                "rate",
                "1mbit",
                "burst",
                "3028",
                "limit",
                "30000",
            )
        )
        run(ns_cmd(self.srv, "tc", "qdisc", "del", "dev", self.srv_if, "root"))
        run(ns_cmd(self.srv, "nft", "-f", "-"), stdin=f"table inet {NFT_TABLE} {{}}\n")
        run(ns_cmd(self.srv, "nft", "delete", "table", "inet", NFT_TABLE))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.relay is not None:
            with contextlib.suppress(Exception):
                self.relay.stop()
        for proc in self._procs:
            _stop_process(proc)
        self._teardown_namespaces()
        with _LOCK:
            _OPEN.discard(self)

    def _teardown_namespaces(self) -> None:
        # Deleting a namespace takes its veth end (and so the pair), qdiscs and nft tables.
        for ns in reversed(self._made):
            run(["ip", "netns", "del", ns], check=False)
        self._made.clear()

    # -- addresses -----------------------------------------------------------------------------

    @property
    def relay_host(self) -> str:
        """The address clients connect to (the relay's)."""
        return "127.0.0.1" if self.emulated else self.srv_ip

    def url(self, route_name: str) -> str:
        for route in self._routes:
            if route.name == route_name:
                return f"http://{self.relay_host}:{route.listen_port}"
        raise KeyError(route_name)

    # -- profile -------------------------------------------------------------------------------

    def apply(self, profile: Profile) -> None:
        """Shape the link: tc per direction, nft loss per direction, relay delay/flaps."""
        self.profile = profile
        if not self.emulated:
            for ns, dev, bps in (
                (self.srv, self.srv_if, profile.down_bps),
                (self.cli, self.cli_if, profile.up_bps),
            ):
                run(ns_cmd(ns, "tc", "qdisc", "del", "dev", dev, "root"), check=False)
                if bps is not None:
                    rate = bps / 8
                    burst = max(3028, int(rate * 0.01))
                    limit = max(16_000, int(rate * 1.0))
                    run(
                        ns_cmd(
                            ns,
                            "tc",
                            "qdisc",
                            "replace",
                            "dev",
                            dev,
                            "root",
                            "tbf",
                            "rate",
                            f"{bps}bit",
                            "burst",
                            str(burst),
                            "limit",
                            str(limit),
                        )
                    )
                run(ns_cmd(ns, "nft", "delete", "table", "inet", NFT_TABLE), check=False)
                if profile.loss_pct > 0:
                    per_10k = round(profile.loss_pct * 100)
                    rules = (
                        f"table inet {NFT_TABLE} {{\n"
                        "  chain input {\n"
                        "    type filter hook input priority 0; policy accept;\n"
                        f'    iifname "{dev}" numgen random mod 10000 < {per_10k} drop\n'
                        "  }\n}\n"
                    )
                    run(ns_cmd(ns, "nft", "-f", "-"), stdin=rules)
        if self.relay is not None:
            self.relay.set_shape(Shape.for_profile(profile, emulate=self.emulated))

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "profile": self.profile.name,
            "emulated": self.emulated,
            "fallback_reason": self.fallback_reason,
        }
        if not self.emulated:
            info["qdisc"] = {
                "down (server egress)": run(
                    ns_cmd(self.srv, "tc", "qdisc", "show", "dev", self.srv_if), check=False
                ).strip(),
                "up (client egress)": run(
                    ns_cmd(self.cli, "tc", "qdisc", "show", "dev", self.cli_if), check=False
                ).strip(),
            }
            info["nft"] = run(ns_cmd(self.cli, "nft", "list", "ruleset"), check=False).strip()
        return info

    # -- relay and processes -------------------------------------------------------------------

    def start_relay(self, routes: Sequence[tuple[str, int]], extra_servers: Any = None) -> None:
        """One relay route per ``(name, upstream port on the server's loopback)``."""
        self._routes = [
            Route(
                self.relay_host, free_port() if self.emulated else 8000 + n, "127.0.0.1", port, name
            )
            for n, (name, port) in enumerate(routes)
        ]
        enter = None if self.emulated else (lambda: enter_netns(self.srv))
        self.relay = Relay(
            self._routes, Shape.for_profile(self.profile, emulate=self.emulated), enter=enter
        )
        self.relay.start(extra_servers)

    def relay_stats(self) -> RelayStats:
        return self.relay.stats.copy() if self.relay is not None else RelayStats()

    def counters(self) -> LinkCounters:
        if self.emulated:
            stats = self.relay_stats()
            return LinkCounters(stats.bytes_up, stats.bytes_down)
        out = run(["ip", "-n", self.cli, "-s", "-j", "link", "show", "dev", self.cli_if])
        data = json.loads(out)[0]["stats64"]
        return LinkCounters(
            data["tx"]["bytes"], data["rx"]["bytes"], data["tx"]["packets"], data["rx"]["packets"]
        )

    def spawn_server(
        self, cmd: Sequence[str], *, log: Any = None, env: Any = None
    ) -> subprocess.Popen[bytes]:
        """Start a long-running process in the server namespace (stopped by ``close``)."""
        full = list(cmd) if self.emulated else ns_cmd(self.srv, *cmd)
        proc = subprocess.Popen(  # noqa: S603 - our own commands
            full,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        self._procs.append(proc)
        return proc

    def stop_process(self, proc: subprocess.Popen[bytes]) -> None:
        _stop_process(proc)
        with contextlib.suppress(ValueError):
            self._procs.remove(proc)

    def client_cmd(self, cmd: Sequence[str]) -> list[str]:
        return list(cmd) if self.emulated else ns_cmd(self.cli, *cmd)

    def in_server(self, function: Any, timeout: float = 120.0) -> Any:
        return run_in_netns(None if self.emulated else self.srv, function, timeout)

    def in_client(self, function: Any, timeout: float = 600.0) -> Any:
        return run_in_netns(None if self.emulated else self.cli, function, timeout)

    def wait_port(self, port: int, timeout: float = 60.0) -> None:
        """Wait until something listens on ``127.0.0.1:port`` in the server namespace."""

        def probe() -> bool:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with socket.socket() as sock:
                    sock.settimeout(1)
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        return True
                time.sleep(0.1)
            return False

        if not self.in_server(probe, timeout + 5):
            raise RuntimeError(f"nothing listens on port {port} in the server namespace")


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
