"""Fast checks of the benchmark code's pure parts (no namespaces, no tc, < 2 s)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bench.bootstrap import summarise as summarise_bootstrap
from bench.field_day_net import format_table, summarise
from bench.netlab.check import CheckResult, _outage_lengths, compare, format_check
from bench.netlab.profiles import (
    PROFILES,
    get_profile,
    link_up,
    physical_limit,
    seconds_until_up,
    transfer_seconds,
    wire_bytes,
)
from bench.netlab.proxy import ProxiedSite, nginx_command, nginx_conf
from bench.netlab.relay import Relay, Route, Shape
from bench.netlab.tokenbucket import TokenBucket

# -- profiles ----------------------------------------------------------------------------------


def test_profiles_follow_quality_md() -> None:
    assert set(PROFILES) == {"lan", "3g-poor", "mountain-2g", "flapping"}
    mountain = get_profile("mountain-2g")
    assert (mountain.down_bps, mountain.up_bps, mountain.rtt_ms, mountain.loss_pct) == (
        64_000,
        32_000,
        700.0,
        3.0,
    )
    assert mountain.one_way_delay_ms == 350.0
    flapping = get_profile("flapping")
    assert flapping.flapping and not mountain.flapping
    assert (flapping.flap_period_s, flapping.flap_down_s) == (20.0, 5.0)
    assert not get_profile("lan").shaped
    with pytest.raises(ValueError, match="unknown profile"):
        get_profile("5g")


def test_quality_md_example_200_kb_at_64_kbit_is_about_26_s() -> None:
    assert transfer_seconds(200_000, 64_000, framing=False) == pytest.approx(25.0)
    # with TCP/IP headers on each 1448-byte segment
    assert transfer_seconds(200_000, 64_000) == pytest.approx(26.14, abs=0.05)
    assert transfer_seconds(200_000, None) == 0.0
    assert wire_bytes(0) == 0
    assert wire_bytes(1) == 1 + 66


def test_physical_limit_is_bytes_over_bandwidth_plus_round_trips() -> None:
    mountain = get_profile("mountain-2g")
    # 40 KB up at 4 kB/s, 8 KB down at 8 kB/s, 2 round trips of 0.7 s
    assert physical_limit(mountain, 40_000, 8_000, 2) == pytest.approx(10 + 1 + 1.4)
    assert physical_limit(get_profile("lan"), 10**9, 10**9, 5) == 0.0


def test_flapping_schedule() -> None:
    assert link_up(0, 20, 5)
    assert link_up(14.99, 20, 5)
    assert not link_up(15.0, 20, 5)
    assert not link_up(19.9, 20, 5)
    assert link_up(20.0, 20, 5)
    assert link_up(123.0, 0, 0)
    assert seconds_until_up(16, 20, 5) == pytest.approx(4)
    assert seconds_until_up(3, 20, 5) == 0.0


# -- token bucket ------------------------------------------------------------------------------


def test_token_bucket_paces_at_rate_after_the_burst() -> None:
    bucket = TokenBucket(rate=1000.0, burst=500.0)
    assert bucket.reserve(500, now=0.0) == 0.0  # the burst goes at once
    assert bucket.reserve(1000, now=0.0) == pytest.approx(1.0)  # then 1000 B/s
    assert bucket.reserve(500, now=1.0) == pytest.approx(0.5)  # the debt carries over
    # idle time refills, never beyond the burst
    assert bucket.reserve(500, now=100.0) == 0.0


def test_token_bucket_average_rate_whatever_the_chunk_size() -> None:
    bucket = TokenBucket(rate=4000.0, burst=3000.0)
    now = 0.0
    for _ in range(100):
        now += bucket.reserve(1448, now)
    assert now == pytest.approx((100 * 1448 - 3000) / 4000, rel=1e-6)


def test_token_bucket_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=0, burst=1)
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(rate=1, burst=0)
    with pytest.raises(ValueError, match="size"):
        TokenBucket(rate=1, burst=1).reserve(-1, 0.0)


# -- self-check report -------------------------------------------------------------------------


def test_compare_allows_twenty_percent() -> None:
    assert compare("x", 10.0, 11.9).ok
    assert compare("x", 10.0, 8.1).ok
    assert not compare("x", 10.0, 12.1).ok
    assert not compare("x", 10.0, 7.9).ok
    assert compare("rtt", 0.0, 0.02).ok  # about zero: 25 ms absolute
    assert not compare("rtt", 0.0, 0.05).ok


def test_format_check_says_fail_and_emulation() -> None:
    result = CheckResult("mountain-2g", True, "no namespaces here")
    result.measures = [compare("RTT", 0.7, 0.71), compare("200 KB up", 53.0, 80.0)]
    text = format_check(result)
    assert "EMULATED" in text
    assert "no namespaces here" in text
    assert "FAIL (more than 20 % off)" in text
    assert not result.ok
    assert result.to_json()["ok"] is False
    assert result.to_json()["measures"][0]["ratio"] == pytest.approx(1.014, abs=0.001)


def test_outage_lengths_ignore_cut_runs() -> None:
    samples = [(0.0, False), (0.5, True), (1.0, False), (3.0, False), (6.0, True), (7.0, False)]
    assert _outage_lengths(samples) == [5.0]


# -- field-day and bootstrap reports -----------------------------------------------------------


def _side(wall: float, requests: int, up: int, down: int, ok: bool = True) -> dict[str, object]:
    return {
        "ok": ok,
        "wall_s": wall,
        "requests": requests,
        "body_up": up,
        "body_down": down,
        "http_up": up + 100,
        "http_down": down + 100,
        "link_up": up + 200,
        "link_down": down + 200,
        "physical_limit_s": 10.0,
        "ratio_to_limit": wall / 10,
        "by_endpoint": {
            "push": {"requests": 1},
            "pull": {"requests": 1},
            "blob_start": {"requests": requests - 2},
        },
    }


def test_summary_medians_and_ratios() -> None:
    runs = [
        {"motcua": _side(10, 5, 1000, 100), "kinto": _side(40, 20, 5000, 1000)},
        {"motcua": _side(12, 5, 1000, 100), "kinto": _side(30, 20, 5000, 1000)},
        {"motcua": _side(11, 5, 1000, 100), "kinto": _side(99, 20, 5000, 1000, ok=False)},
    ]
    summary = summarise(runs)
    assert summary["motcua"]["wall_s"]["median"] == 11
    assert summary["motcua"]["wall_s"]["raw"] == [10, 12, 11]
    assert summary["kinto"]["completed"] == 2
    assert summary["kinto"]["wall_s"]["median"] == 35  # failed runs are left out
    assert summary["kinto_over_ours"]["round_trips"] == 4.0
    assert summary["motcua_round_trips_without_photos"] == [2, 2, 2]
    table = format_table("mountain-2g", runs, summary)
    assert "wall time, s" in table
    assert "Kinto ÷ ours" in table
    assert "10, 12, 11" in table


def test_bootstrap_summary() -> None:
    runs = [
        {
            "full": {"wall_s": 20.0, "pages": 90},
            "cut": {"resume": {"wall_s": 9.0}, "complete": True},
        },
        {
            "full": {"wall_s": 22.0, "pages": 90},
            "cut": {"resume": {"wall_s": 11.0}, "complete": True},
        },
    ]
    summary = summarise_bootstrap(runs)
    assert summary["bootstrap_s"] == {"median": 21.0, "raw": [20.0, 22.0]}
    assert summary["resume_s"]["median"] == 10.0
    assert summary["complete_after_resume"] == [True, True]


# -- the relay in user space (loopback only) ---------------------------------------------------


def _echo_server() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                with conn:
                    while data := conn.recv(65536):
                        conn.sendall(data)
            except OSError:
                continue  # the relay reset the connection

    threading.Thread(target=serve, daemon=True).start()
    return server, int(server.getsockname()[1])


def _talk(sock: socket.socket) -> bytes:
    sock.sendall(b"ping")
    answer = sock.recv(16)
    if not answer:
        raise ConnectionResetError("closed without an answer")
    return answer


def _connect_and_talk(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        return _talk(sock)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_relay_adds_the_round_trip_and_counts_bytes() -> None:
    server, port = _echo_server()
    listen = _free_port()
    relay = Relay(
        [Route("127.0.0.1", listen, "127.0.0.1", port, "echo")], Shape(one_way_delay_s=0.05)
    ).start()
    try:
        with socket.create_connection(("127.0.0.1", listen), timeout=5) as sock:
            started = time.perf_counter()
            sock.sendall(b"ping")
            assert sock.recv(16) == b"ping"
            elapsed = time.perf_counter() - started
        assert 0.09 <= elapsed < 0.5
        deadline = time.monotonic() + 2
        while relay.stats.bytes_down < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (relay.stats.bytes_up, relay.stats.bytes_down) == (4, 4)
        assert relay.stats.connections == 1
        # HTTP requests are counted on the way up, even when a request line is split
        with socket.create_connection(("127.0.0.1", listen), timeout=5) as sock:
            sock.sendall(b"GET / HTT")
            time.sleep(0.02)
            sock.sendall(b"P/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(64)
        assert relay.stats.requests == 1
    finally:
        relay.stop()
        server.close()


def test_relay_charges_a_round_trip_for_each_new_connection() -> None:
    """A TCP handshake costs one RTT on a real link: the first exchange on a new
    connection takes two round trips, the next ones one (QUALITY.md, fair lab)."""
    server, port = _echo_server()
    listen = _free_port()
    relay = Relay(
        [Route("127.0.0.1", listen, "127.0.0.1", port, "echo")],
        Shape(one_way_delay_s=0.05, rtt_s=0.1),
    ).start()
    try:
        with socket.create_connection(("127.0.0.1", listen), timeout=5) as sock:
            started = time.perf_counter()
            assert _talk(sock) == b"ping"
            first = time.perf_counter() - started
            started = time.perf_counter()
            assert _talk(sock) == b"ping"
            second = time.perf_counter() - started
        assert 0.19 <= first < 0.6
        assert 0.09 <= second < 0.19
        assert relay.stats.handshake_s == pytest.approx(0.1)
    finally:
        relay.stop()
        server.close()


def test_relay_refuses_connections_while_the_link_is_cut() -> None:
    server, port = _echo_server()
    listen = _free_port()
    relay = Relay([Route("127.0.0.1", listen, "127.0.0.1", port, "echo")], Shape()).start()
    try:
        relay.cut(5.0)
        assert not relay.link_is_up()
        # The relay accepts, then resets at once: on loopback the reset can already be
        # there when connect() returns, so the handshake is part of what must fail.
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            _connect_and_talk(listen)
        assert relay.stats.refused == 1
        assert relay.stats.connections == 0
    finally:
        relay.stop()
        server.close()


def test_the_lab_proxy_keeps_connections_open_both_ways(tmp_path: Path) -> None:
    """Keep-alive to the client and to the server (an upstream with ``keepalive``, HTTP/1.1
    and no ``Connection: close``), as deploy/nginx/motcua.conf has it."""
    conf = nginx_conf(tmp_path, [ProxiedSite(18000, 8000), ProxiedSite(18001, 8001)], None)
    text = conf.read_text()
    assert "keepalive_timeout 75s;" in text
    for port in (8000, 8001):
        assert (
            f"upstream site_{port} {{\n        server 127.0.0.1:{port};\n        keepalive 16;"
            in text
        )
        assert f"proxy_pass http://site_{port};" in text
    assert text.count('proxy_set_header Connection "";') == 2
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if Path(nginx).exists():
        checked = subprocess.run(
            [*nginx_command(tmp_path, conf), "-t"], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr
