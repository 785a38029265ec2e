"""A token bucket: the user-space stand-in for ``tc tbf`` when the kernel cannot shape."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["TokenBucket"]


@dataclass
class TokenBucket:
    """``rate`` bytes per second, at most ``burst`` bytes saved up.

    ``reserve(n, now)`` takes ``n`` bytes and returns how long to wait before sending
    them; the bucket may go negative (a debt paid by later callers), so a sender that
    sleeps the returned delay gets exactly ``rate`` on average, whatever its chunk size.
    """

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    stamp: float = field(default=0.0)
    _started: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError("rate must be positive")
        if self.burst <= 0:
            raise ValueError("burst must be positive")
        if self.tokens < 0:
            self.tokens = self.burst

    def _refill(self, now: float) -> None:
        if not self._started:
            self._started = True
            self.stamp = now
            return
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def reserve(self, size: int, now: float) -> float:
        """Take ``size`` bytes; the seconds to wait before they may leave."""
        if size < 0:
            raise ValueError("size must be >= 0")
        self._refill(now)
        self.tokens -= size
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.rate
