"""Platform services behind small facades, each with a desktop fallback.

- data folder: the app's private storage (``ANDROID_PRIVATE``) on Android; else
  ``$MOTCUA_DATA_DIR`` or ``~/.local/share/motcua-field``;
- camera: ``plyer.camera`` when packaged with it; else a file chooser (pick a file);
- location: ``plyer.gps`` when packaged with it; else none (surveys without location);
- connectivity: ``GET {server}/api/v1/health`` with a short timeout, everywhere.

Nothing here imports Kivy at module level: the desktop camera opens the file chooser
popup lazily, when the officer asks for a photo.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import requests

__all__ = [
    "Camera",
    "ConnectivityProbe",
    "DesktopCamera",
    "Location",
    "NoLocation",
    "Platform",
    "default_data_dir",
    "is_android",
]

HEALTH_PATH = "/api/v1/health"
#: (connect, read) seconds: a probe must answer fast or count as offline.
PROBE_TIMEOUT = (2.0, 3.0)

PhotoCallback = Callable[[Path | None], None]


def is_android() -> bool:
    return "ANDROID_ARGUMENT" in os.environ or "ANDROID_PRIVATE" in os.environ


def default_data_dir() -> Path:
    """Where the store, the vault and the settings live."""
    configured = os.environ.get("MOTCUA_DATA_DIR")
    if configured:
        return Path(configured)
    private = os.environ.get("ANDROID_PRIVATE")
    if private:
        return Path(private) / "motcua"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "motcua-field"


class ConnectivityProbe:
    """Is the server reachable right now? One short GET of its health endpoint."""

    def __init__(
        self,
        timeout: tuple[float, float] = PROBE_TIMEOUT,
        get: Callable[..., Any] | None = None,
    ) -> None:
        self.timeout = timeout
        self._get = get or requests.get

    def __call__(self, server_url: str) -> bool:
        if not server_url.startswith(("http://", "https://")):
            return False
        try:
            reply = self._get(server_url.rstrip("/") + HEALTH_PATH, timeout=self.timeout)
        except (requests.RequestException, OSError, ValueError):
            return False
        return int(getattr(reply, "status_code", 0)) == 200


def ask_android_permissions(*names: str) -> None:  # pragma: no cover - needs a device
    """Ask at run time for dangerous permissions (Android 6+) the manifest declares."""
    try:
        from android.permissions import Permission, check_permission, request_permissions
    except ImportError:
        return
    missing = [
        getattr(Permission, n) for n in names if not check_permission(getattr(Permission, n))
    ]
    if missing:
        request_permissions(missing)


class Camera(Protocol):
    def take_photo(self, folder: Path, on_done: PhotoCallback) -> None:
        """Ask for a photo; ``on_done`` gets its file, or None if the officer cancelled."""
        ...


class DesktopCamera:
    """No camera: the officer picks a photo file (a Kivy file chooser popup)."""

    def __init__(self, start_dir: Path | None = None) -> None:
        self.start_dir = start_dir or Path.home()

    def take_photo(self, folder: Path, on_done: PhotoCallback) -> None:
        from mobile.app.widgets import PhotoChooserPopup  # Kivy, only when asked

        PhotoChooserPopup(start_dir=self.start_dir, on_done=on_done).open()


class AndroidCamera:  # pragma: no cover - needs a device
    """The device camera through plyer; falls back to the file chooser without it."""

    def __init__(self) -> None:
        self._fallback = DesktopCamera(Path(os.environ.get("EXTERNAL_STORAGE", "/sdcard")))

    def take_photo(self, folder: Path, on_done: PhotoCallback) -> None:
        try:
            from plyer import camera
        except ImportError:
            self._fallback.take_photo(folder, on_done)
            return
        ask_android_permissions("CAMERA")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"anh-{threading.get_ident()}-{len(list(folder.iterdir()))}.jpg"

        def done(path: str) -> bool:
            from kivy.clock import Clock

            chosen = Path(path) if path and Path(path).exists() else None
            Clock.schedule_once(lambda _dt: on_done(chosen))
            return False

        camera.take_picture(filename=str(target), on_complete=done)


class Location(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def last_fix(self) -> tuple[float, float] | None:
        """Latitude and longitude of the latest fix, or None."""
        ...


class NoLocation:
    """Desktops have no GPS: surveys are saved without a location."""

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def last_fix(self) -> tuple[float, float] | None:
        return None


class AndroidLocation:  # pragma: no cover - needs a device
    def __init__(self) -> None:
        self._fix: tuple[float, float] | None = None
        self._running = False

    def _on_location(self, **values: Any) -> None:
        try:
            self._fix = (float(values["lat"]), float(values["lon"]))
        except (KeyError, TypeError, ValueError):
            return

    def start(self) -> None:
        if self._running:
            return
        ask_android_permissions("ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION")
        try:
            from plyer import gps

            gps.configure(on_location=self._on_location)
            gps.start(minTime=5000, minDistance=10)
            self._running = True
        except Exception:  # no GPS or no permission: the survey goes without a location
            self._running = False

    def stop(self) -> None:
        if not self._running:
            return
        try:
            from plyer import gps

            gps.stop()
        finally:
            self._running = False

    def last_fix(self) -> tuple[float, float] | None:
        return self._fix


class Platform:
    """The facades the app uses; tests pass their own."""

    def __init__(
        self,
        *,
        camera: Camera | None = None,
        location: Location | None = None,
        probe: Callable[[str], bool] | None = None,
    ) -> None:
        android = is_android()
        self.camera: Camera = camera or (AndroidCamera() if android else DesktopCamera())
        self.location: Location = location or (AndroidLocation() if android else NoLocation())
        self.probe: Callable[[str], bool] = probe or ConnectivityProbe()
