"""The QR code on a citizen's receipt: the public status page of their dossier."""

from __future__ import annotations

from pathlib import Path

__all__ = ["make_qr_png", "qr_available", "status_url"]


def status_url(server_url: str, receipt_number: str, check_code: str = "") -> str:
    """``{server}/tra-cuu/{receipt_number}?k={check_code}``: where the citizen follows the
    dossier; the check code in the link opens it without typing (sync/checkcode.py)."""
    url = f"{server_url.rstrip('/')}/tra-cuu/{receipt_number}"
    return f"{url}?k={check_code}" if check_code else url


def qr_available() -> bool:
    try:
        import qrcode  # noqa: F401
        from PIL import Image  # noqa: F401
    except ImportError:
        return False
    return True


def make_qr_png(text: str, target: Path) -> Path | None:
    """Write a QR code of ``text`` as a PNG; None when ``qrcode``/Pillow are missing."""
    try:
        import qrcode
        from qrcode.constants import ERROR_CORRECT_M
    except ImportError:
        return None
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=2)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp.png")
    image.save(str(temporary))
    temporary.replace(target)
    return target
