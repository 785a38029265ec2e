"""Platform services behind small facades, each with a desktop fallback.

- data folder: the app's private storage (``ANDROID_PRIVATE``) on Android; else
  ``$MOTCUA_DATA_DIR`` or ``~/.local/share/motcua-field``;
- camera: ``plyer.camera`` when packaged with it; else a file chooser (pick a file);
- location: ``plyer.gps`` when packaged with it; else none (surveys without location);
- exports (PDF slips): ``Documents/MotCuaField/exports/`` in the shared storage on
  Android (the Files app, a USB cable), falling back to the private data folder; on a
  desktop ``<data folder>/exports/``;
- fonts of the PDF slips: ``fonts/`` shipped beside the code in the APK (Android has no
  DejaVu Serif), else the system's (``sync.slips.fonts``);
- connectivity: ``GET {server}/api/v1/health`` with a short timeout, everywhere;
- paper (``Paper``): a slip's preview (pypdfium2 on a desktop, Android's ``PdfRenderer``),
  sharing (the Android share sheet; a file in ``exports/`` elsewhere), printing (Android's
  print service; CUPS ``lp`` on a desktop where a printer is configured) and the
  portable ESC/POS thermal printer (Bluetooth RFCOMM on Android; on a desktop the
  device file of a USB or Bluetooth-bound printer, ``$MOTCUA_THERMAL_DEVICE``, e.g.
  ``/dev/usb/lp0`` or ``/dev/rfcomm0``).

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
    "AndroidPaper",
    "Camera",
    "ConnectivityProbe",
    "DesktopCamera",
    "DesktopPaper",
    "Exports",
    "LocalExports",
    "Location",
    "NoLocation",
    "Paper",
    "Platform",
    "PrintFailed",
    "default_data_dir",
    "is_android",
    "use_bundled_fonts",
    "write_file",
]

HEALTH_PATH = "/api/v1/health"
EXPORTS = "exports"
#: The folder of the exports in the shared storage on Android.
SHARED_EXPORTS = Path("Documents") / "MotCuaField" / EXPORTS
#: Where the APK carries the slips' fonts: ``fonts/`` beside ``mobile/`` (see docs/TABLET.md).
BUNDLED_FONTS = Path(__file__).resolve().parents[2] / "fonts"
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
    known = [getattr(Permission, n) for n in names if hasattr(Permission, n)]  # by API level
    missing = [p for p in known if not check_permission(p)]
    if missing:
        request_permissions(missing)


class Camera(Protocol):
    #: A real camera (then "take" and "choose a saved photo" are two buttons).
    can_capture: bool

    def take_photo(self, folder: Path, on_done: PhotoCallback) -> None:
        """Ask for a photo; ``on_done`` gets its file, or None if the officer cancelled."""
        ...

    def pick_photo(self, folder: Path, on_done: PhotoCallback) -> None:
        """Choose a photo already saved (the gallery, a download); same ``on_done``."""
        ...


class DesktopCamera:
    """No camera: the officer picks a photo file in the app's own chooser
    (``PhotoChooserPopup``: big rows in Vietnamese, folders first, a preview)."""

    can_capture = False

    def __init__(self, start_dir: Path | None = None) -> None:
        self.start_dir = start_dir or Path.home()

    def take_photo(self, folder: Path, on_done: PhotoCallback) -> None:
        self.pick_photo(folder, on_done)

    def pick_photo(self, folder: Path, on_done: PhotoCallback) -> None:
        from mobile.app.widgets import PhotoChooserPopup  # Kivy, only when asked

        PhotoChooserPopup(start_dir=self.start_dir, on_done=on_done).open()


#: What the platform's picker offers (plyer's ``filechooser`` filters: a label, then
#: patterns; Android turns them into MIME types).
PICKER_FILTERS = [["Ảnh", "*.jpg", "*.jpeg", "*.png", "*.webp"]]


def on_ui_thread(on_done: PhotoCallback, path: Path | None) -> None:
    """Hand a platform answer (from Android's activity result) to the Kivy thread."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: on_done(path))


def picked_file(selection: Any) -> Path | None:
    """plyer's ``on_selection`` answer (a list of paths; None or [] when cancelled)."""
    if not selection:
        return None
    first = selection[0] if isinstance(selection, list | tuple) else selection
    chosen = Path(str(first)) if first else None
    return chosen if chosen is not None and chosen.is_file() else None


class AndroidCamera:  # pragma: no cover - needs a device
    """The device camera and the system picker through plyer; the app's chooser when
    plyer is missing."""

    can_capture = True

    def __init__(self) -> None:
        self._fallback = DesktopCamera(Path(os.environ.get("EXTERNAL_STORAGE", "/sdcard")))

    def pick_photo(self, folder: Path, on_done: PhotoCallback) -> None:
        try:
            from plyer import filechooser
        except ImportError:
            self._fallback.pick_photo(folder, on_done)
            return
        ask_android_permissions("READ_MEDIA_IMAGES")
        filechooser.open_file(
            filters=PICKER_FILTERS,
            on_selection=lambda selection: on_ui_thread(on_done, picked_file(selection)),
        )

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


def write_file(target: Path, content: bytes) -> Path:
    """Write ``content`` whole or not at all (a temporary file renamed over the target)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


class Exports(Protocol):
    def save(self, data_dir: Path, filename: str, content: bytes) -> Path:
        """Write an exported file (a PDF slip) where the officer can take it; its path."""
        ...


class LocalExports:
    """Desktops: ``<data folder>/exports/``."""

    def folder(self, data_dir: Path) -> Path:
        return data_dir / EXPORTS

    def save(self, data_dir: Path, filename: str, content: bytes) -> Path:
        return write_file(self.folder(data_dir) / Path(filename).name, content)


def shared_storage() -> Path:  # pragma: no cover - needs a device
    """The primary shared storage on Android ("/storage/emulated/0")."""
    try:
        from android.storage import primary_external_storage_path

        return Path(primary_external_storage_path())
    except ImportError:
        return Path(os.environ.get("EXTERNAL_STORAGE") or "/sdcard")


class AndroidExports(LocalExports):  # pragma: no cover - needs a device
    """``Documents/MotCuaField/exports/`` in the shared storage, so the Files app and a USB
    cable reach the PDFs; the private data folder when the shared storage refuses
    (Android 10's scoped storage, or the write permission not granted yet on 7–9)."""

    def save(self, data_dir: Path, filename: str, content: bytes) -> Path:
        ask_android_permissions("WRITE_EXTERNAL_STORAGE")  # declared for Android ≤ 9 only
        try:
            return write_file(shared_storage() / SHARED_EXPORTS / Path(filename).name, content)
        except OSError:
            return super().save(data_dir, filename, content)


def use_bundled_fonts(folder: Path = BUNDLED_FONTS) -> Path | None:
    """Point ``sync.slips`` at the fonts shipped with the app, unless MOTCUA_FONT_DIR is set.

    The APK carries DejaVu Serif in ``fonts/`` (Android has none); on a desktop the
    folder is absent and the system's fonts are used. Returns the folder when used.
    """
    if os.environ.get("MOTCUA_FONT_DIR") or not (folder / "DejaVuSerif.ttf").is_file():
        return None
    os.environ["MOTCUA_FONT_DIR"] = str(folder)
    return folder


class PrintFailed(RuntimeError):
    """Nothing was printed; the message says why (it goes to the "print later" list)."""


class Paper(Protocol):
    def preview_png(self, pdf: bytes, width_px: int) -> bytes:
        """The first page of ``pdf`` as a PNG (``mobile.paper.PaperUnavailable`` if none)."""
        ...

    def share(self, path: Path, mime: str) -> str:
        """Hand the file to another app (or leave it where the officer takes it); says where."""
        ...

    def print_pdf(self, path: Path) -> str:
        """Print a slip; says to which printer. ``PrintFailed`` with the reason otherwise."""
        ...

    def print_thermal(self, stream: bytes) -> str:
        """Send an ESC/POS stream to the thermal printer; ``PrintFailed`` otherwise."""
        ...


class DesktopPaper:
    """A laptop at the office: CUPS for slips, a device file for the thermal printer."""

    def __init__(
        self,
        *,
        lp_printer: str | None = None,
        thermal_device: str | None = None,
        run: Callable[..., Any] | None = None,
    ) -> None:
        import subprocess

        self.lp_printer = lp_printer or os.environ.get("MOTCUA_LP_PRINTER", "")
        self.thermal_device = thermal_device or os.environ.get("MOTCUA_THERMAL_DEVICE", "")
        self._run = run or subprocess.run

    def preview_png(self, pdf: bytes, width_px: int) -> bytes:
        from mobile.paper import pdf_page_png

        return pdf_page_png(pdf, 0, width_px)

    def share(self, path: Path, mime: str) -> str:
        return str(path)  # already in exports/: the officer copies or mails it from there

    def print_pdf(self, path: Path) -> str:
        import shutil

        lp = shutil.which("lp")
        if lp is None:
            raise PrintFailed("không có CUPS (lệnh lp) trên máy này (no CUPS lp on this computer)")
        command = [lp, *(["-d", self.lp_printer] if self.lp_printer else []), str(path)]
        try:
            done = self._run(command, capture_output=True, text=True, timeout=20, check=False)
        except (OSError, ValueError) as error:
            raise PrintFailed(str(error)) from error
        if done.returncode != 0:
            raise PrintFailed(
                (done.stderr or done.stdout or "lp không in được (lp failed)").strip()
            )
        return self.lp_printer or "CUPS"

    def print_thermal(self, stream: bytes) -> str:
        if not self.thermal_device:
            raise PrintFailed(
                "chưa cài đặt máy in nhiệt (no thermal printer configured: MOTCUA_THERMAL_DEVICE)"
            )
        try:
            with open(self.thermal_device, "ab", buffering=0) as device:
                device.write(stream)
        except OSError as error:
            raise PrintFailed(f"{self.thermal_device}: {error.strerror or error}") from error
        return self.thermal_device


#: The Serial Port Profile of Bluetooth thermal printers.
SPP_UUID = "00001101-0000-1000-8000-00805F9B34FB"


class AndroidPaper(DesktopPaper):  # pragma: no cover - needs a device
    """Android: PdfRenderer, the share sheet, the print service, Bluetooth RFCOMM."""

    def preview_png(self, pdf: bytes, width_px: int) -> bytes:
        try:
            return super().preview_png(pdf, width_px)
        except Exception:  # no pypdfium2 in the APK: Android's own renderer
            return _android_pdf_png(pdf, width_px)

    def share(self, path: Path, mime: str) -> str:
        from jnius import autoclass, cast

        activity = autoclass("org.kivy.android.PythonActivity").mActivity
        intent_class = autoclass("android.content.Intent")
        provider = autoclass("androidx.core.content.FileProvider")
        uri = provider.getUriForFile(
            activity,
            activity.getPackageName() + ".fileprovider",
            autoclass("java.io.File")(str(path)),
        )
        intent = intent_class(intent_class.ACTION_SEND)
        intent.setType(mime)
        intent.putExtra(intent_class.EXTRA_STREAM, cast("android.os.Parcelable", uri))
        intent.addFlags(intent_class.FLAG_GRANT_READ_URI_PERMISSION)
        activity.startActivity(intent_class.createChooser(intent, None))
        return path.name

    def print_pdf(self, path: Path) -> str:
        # The print service takes a PDF through the share sheet's "Print" target (the
        # system print dialog then picks the printer); a PrintDocumentAdapter in Java
        # would skip the sheet. Checked only on a device (docs/TABLET.md).
        return self.share(path, "application/pdf")

    def print_thermal(self, stream: bytes) -> str:
        from jnius import autoclass

        adapter = autoclass("android.bluetooth.BluetoothAdapter").getDefaultAdapter()
        if adapter is None or not adapter.isEnabled():
            raise PrintFailed("Bluetooth đang tắt (Bluetooth off)")
        ask_android_permissions("BLUETOOTH_CONNECT", "BLUETOOTH_SCAN")
        uuid = autoclass("java.util.UUID").fromString(SPP_UUID)
        wanted = os.environ.get("MOTCUA_THERMAL_NAME", "")
        for device in adapter.getBondedDevices().toArray():
            if wanted and wanted not in device.getName():
                continue
            socket = device.createRfcommSocketToServiceRecord(uuid)
            try:
                socket.connect()
                output = socket.getOutputStream()
                output.write(stream)
                output.flush()
            except Exception as error:
                raise PrintFailed(f"{device.getName()}: {error}") from error
            finally:
                socket.close()
            return str(device.getName())
        raise PrintFailed("chưa ghép đôi máy in Bluetooth (no paired Bluetooth printer)")


def _android_pdf_png(pdf: bytes, width_px: int) -> bytes:  # pragma: no cover - device
    import io
    import tempfile

    from jnius import autoclass
    from PIL import Image

    file_class = autoclass("java.io.File")
    descriptor = autoclass("android.os.ParcelFileDescriptor")
    renderer_class = autoclass("android.graphics.pdf.PdfRenderer")
    bitmap_class = autoclass("android.graphics.Bitmap")
    with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as handle:
        handle.write(pdf)
    opened = descriptor.open(file_class(handle.name), descriptor.MODE_READ_ONLY)
    renderer = renderer_class(opened)
    page = renderer.openPage(0)
    height = int(width_px * page.getHeight() / page.getWidth())
    config = autoclass("android.graphics.Bitmap$Config").ARGB_8888
    bitmap = bitmap_class.createBitmap(width_px, height, config)
    bitmap.eraseColor(-1)
    page.render(bitmap, None, None, page.RENDER_MODE_FOR_DISPLAY)
    page.close()
    renderer.close()
    stream = autoclass("java.io.ByteArrayOutputStream")()
    bitmap.compress(autoclass("android.graphics.Bitmap$CompressFormat").PNG, 100, stream)
    Path(handle.name).unlink(missing_ok=True)
    data = bytes(stream.toByteArray())
    Image.open(io.BytesIO(data)).verify()
    return data


class Platform:
    """The facades the app uses; tests pass their own."""

    def __init__(
        self,
        *,
        camera: Camera | None = None,
        location: Location | None = None,
        probe: Callable[[str], bool] | None = None,
        exports: Exports | None = None,
        paper: Paper | None = None,
    ) -> None:
        android = is_android()
        self.camera: Camera = camera or (AndroidCamera() if android else DesktopCamera())
        self.location: Location = location or (AndroidLocation() if android else NoLocation())
        self.probe: Callable[[str], bool] = probe or ConnectivityProbe()
        self.exports: Exports = exports or (AndroidExports() if android else LocalExports())
        self.paper: Paper = paper or (AndroidPaper() if android else DesktopPaper())
