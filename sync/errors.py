"""The exceptions of the sync library.

```
SyncError
├── WireError            a body, operation or cursor that does not follow PROTOCOL.md
├── TransportError       the request did not complete (network down, cut, timeout, 5xx)
└── ServerRefused        the server answered, and refused
    ├── Unauthorized     bad token (401)
    │   └── DeviceRevoked  the device was revoked: stop syncing, keep local data
    └── UpgradeRequired  the app or protocol is too old (426)
```

Only ``TransportError`` is worth retrying.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error raised by the sync library."""


class WireError(SyncError, ValueError):
    """Input that breaks the wire protocol; the server answers it with a 4xx."""


class TransportError(SyncError):
    """The exchange did not complete; retrying later may succeed."""


class ServerRefused(SyncError):
    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason


class Unauthorized(ServerRefused):
    pass


class DeviceRevoked(Unauthorized):
    pass


class UpgradeRequired(ServerRefused):
    pass
