"""Link profiles of QUALITY.md and the arithmetic of a link's physical limit."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PROFILES",
    "TCP_IP_OVERHEAD",
    "Profile",
    "get_profile",
    "link_up",
    "physical_limit",
    "transfer_seconds",
]

#: Bytes of IPv4 + TCP headers (with timestamps) per full segment of 1448 payload bytes.
MSS = 1448
TCP_IP_OVERHEAD = 52 + 14  # IP + TCP with options, Ethernet header counted by tbf


@dataclass(frozen=True)
class Profile:
    """One link: rates in bit/s (``None`` = unlimited), RTT in ms, loss in percent."""

    name: str
    down_bps: int | None
    up_bps: int | None
    rtt_ms: float
    loss_pct: float
    flap_period_s: float = 0.0  # the link goes down `flap_down_s` of every period
    flap_down_s: float = 0.0
    meaning: str = ""

    @property
    def one_way_delay_ms(self) -> float:
        return self.rtt_ms / 2

    @property
    def flapping(self) -> bool:
        return self.flap_period_s > 0 and self.flap_down_s > 0

    @property
    def shaped(self) -> bool:
        return self.down_bps is not None or self.up_bps is not None

    def down_bytes_per_s(self) -> float | None:
        return None if self.down_bps is None else self.down_bps / 8

    def up_bytes_per_s(self) -> float | None:
        return None if self.up_bps is None else self.up_bps / 8

    def describe(self) -> str:
        def rate(bps: int | None) -> str:
            if bps is None:
                return "unlimited"
            return f"{bps / 1000:g} kbit/s"

        text = (
            f"{self.name}: down {rate(self.down_bps)}, up {rate(self.up_bps)}, "
            f"RTT {self.rtt_ms:g} ms, loss {self.loss_pct:g} %"
        )
        if self.flapping:
            text += f", link down {self.flap_down_s:g} s of every {self.flap_period_s:g} s"
        return text


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("lan", None, None, 0.0, 0.0, meaning="office Wi-Fi, baseline"),
        Profile("3g-poor", 384_000, 128_000, 300.0, 1.0, meaning="district town"),
        Profile("mountain-2g", 64_000, 32_000, 700.0, 3.0, meaning="village edge (EDGE/GPRS)"),
        Profile(
            "flapping",
            64_000,
            32_000,
            700.0,
            3.0,
            flap_period_s=20.0,
            flap_down_s=5.0,
            meaning="walking between signal spots",
        ),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None


def wire_bytes(payload: int, *, framing: bool = True) -> int:
    """Bytes a TCP payload occupies on the link (headers of each full segment added)."""
    if payload <= 0:
        return 0
    if not framing:
        return payload
    segments = -(-payload // MSS)
    return payload + segments * TCP_IP_OVERHEAD


def transfer_seconds(payload: int, bps: int | None, *, framing: bool = True) -> float:
    """Time to push ``payload`` bytes through a link of ``bps`` bit/s (0 if unlimited)."""
    if bps is None or payload <= 0:
        return 0.0
    return wire_bytes(payload, framing=framing) * 8 / bps


def physical_limit(
    profile: Profile, bytes_up: int, bytes_down: int, round_trips: int, *, framing: bool = False
) -> float:
    """QUALITY.md's physical limit: bytes ÷ bandwidth each way + minimal round trips × RTT.

    ``framing=False`` is the goal's definition (compressed body bytes only);
    ``framing=True`` adds the TCP/IP headers each segment carries.
    """
    return (
        transfer_seconds(bytes_up, profile.up_bps, framing=framing)
        + transfer_seconds(bytes_down, profile.down_bps, framing=framing)
        + round_trips * profile.rtt_ms / 1000
    )


def link_up(elapsed_s: float, period_s: float, down_s: float) -> bool:
    """Whether a flapping link is up ``elapsed_s`` after it started (up first, then down)."""
    if period_s <= 0 or down_s <= 0:
        return True
    return (elapsed_s % period_s) < period_s - down_s


def seconds_until_up(elapsed_s: float, period_s: float, down_s: float) -> float:
    if link_up(elapsed_s, period_s, down_s):
        return 0.0
    return period_s - (elapsed_s % period_s)
