"""Light photos of papers: resized and recompressed when taken, before they are kept.

A tablet's camera gives 12 MP JPEGs of 3–6 MB; on a 2G link each would take minutes.
``prepare_photo`` makes a photo of a paper that stays legible at a few hundred KB:

- the **orientation** the camera wrote in EXIF (tag 274) is applied to the pixels, so a
  photo taken in portrait stands up everywhere, with or without an EXIF reader;
- the long edge is brought down to ``PhotoOptions.max_edge`` (1600 px: a printed A4 line
  of 10-point text stays readable), never up; JPEGs are decoded at a reduced scale first
  (``Image.draft``), so a 12 MP photo never sits whole in a tablet's memory;
- it is saved again as ``format`` (JPEG by default, WebP and PNG too) at ``quality``,
  optionally in greyscale, with **no metadata**: no EXIF (GPS location, camera, time), no
  XMP, no comments — only the pixels travel;
- a file Pillow does not read as an image (a scanned PDF) is kept as it came.

The parameters are a plain dataclass so the benchmarks can compare formats and sizes;
``options_for(kind)`` gives the app's choice for a photo of a paper or of a person.
Pillow only; the same code runs on Android (python-for-android's ``pillow`` recipe) and
on a desktop.
"""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "FORMATS",
    "OPTIONS_BY_KIND",
    "PhotoOptions",
    "PreparedPhoto",
    "options_for",
    "prepare_photo",
]

#: Output formats: Pillow's name → (content type, file extension).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "WEBP": ("image/webp", ".webp"),
    "PNG": ("image/png", ".png"),
}


@dataclass(frozen=True)
class PhotoOptions:
    """How a photo is prepared (the defaults are the app's)."""

    #: Longest side in pixels after resizing (smaller photos keep their size).
    max_edge: int = 1600
    #: JPEG/WebP quality, 1–95 (ignored for PNG).
    quality: int = 80
    #: "JPEG", "WEBP" or "PNG".
    format: str = "JPEG"
    #: Keep only the grey levels (a third of the data; papers rarely need colour).
    greyscale: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown photo format {self.format!r}; one of {sorted(FORMATS)}")
        if self.max_edge < 16:
            raise ValueError("max_edge must be at least 16 pixels")
        if not 1 <= self.quality <= 95:
            raise ValueError("quality must be between 1 and 95")


#: What each kind of photo is taken as: the smallest encoding that stayed legible on
#: 12 MP camera photos in ``bench/photo_encoders.py`` (docs/BENCHMARKS.md, "Photos").
#: A paper: WebP q30 in colour, ~39 KB (JPEG q80 kept ~176 KB; Tesseract reads as many
#: of its words as on the loss-free resize; colour keeps the red seal). A person: JPEG
#: q50, ~82 KB (SSIM ≥ 0.95 at screen size; WebP needs q80 for that and is no smaller).
OPTIONS_BY_KIND: dict[str, PhotoOptions] = {
    "paper": PhotoOptions(format="WEBP", quality=30),
    "person": PhotoOptions(format="JPEG", quality=50),
}


def options_for(kind: str) -> PhotoOptions:
    """The options for a photo of ``kind`` ("paper" or "person")."""
    try:
        return OPTIONS_BY_KIND[kind]
    except KeyError:
        raise ValueError(
            f"unknown kind of photo {kind!r}; one of {sorted(OPTIONS_BY_KIND)}"
        ) from None


@dataclass(frozen=True)
class PreparedPhoto:
    """The bytes to keep and what to call them."""

    data: bytes
    content_type: str
    filename: str
    width: int
    height: int
    #: The size of what the camera gave.
    original_size: int
    #: Whether the pixels were re-encoded (False: not an image, kept as it came).
    converted: bool


def _renamed(filename: str, extension: str) -> str:
    stem = PurePath(filename).stem or "anh"
    return f"{stem}{extension}"


def _passthrough(data: bytes, filename: str) -> PreparedPhoto:
    kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return PreparedPhoto(data, kind, filename, 0, 0, len(data), False)


def prepare_photo(
    data: bytes, filename: str = "anh.jpg", options: PhotoOptions | None = None
) -> PreparedPhoto:
    """The photo ``data`` upright, at most ``max_edge`` px long, re-encoded, no metadata."""
    options = options or PhotoOptions()
    try:
        image = Image.open(io.BytesIO(data))
        image.size  # noqa: B018 - reading the header is what may fail
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return _passthrough(data, filename)
    try:
        width, height = image.size
        scale = options.max_edge / max(width, height)
        if scale < 1 and image.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 when that still leaves at least the target size.
            image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
        upright = ImageOps.exif_transpose(image)  # applies tag 274 and drops it
        upright.thumbnail((options.max_edge, options.max_edge), Image.Resampling.LANCZOS)
        mode = "L" if options.greyscale else "RGB"
        if options.format == "PNG" and not options.greyscale and upright.mode in ("RGBA", "LA"):
            mode = "RGBA"
        if upright.mode != mode:
            if upright.mode in ("RGBA", "LA", "P") and mode != "RGBA":
                # Transparent parts of a picked PNG become white paper, not black.
                background = Image.new("RGB", upright.size, "white")
                rgba = upright.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                upright = background
            upright = upright.convert(mode)
        out = io.BytesIO()
        save_options: dict[str, object] = {}
        if options.format == "JPEG":
            save_options = {"quality": options.quality, "optimize": True, "progressive": True}
        elif options.format == "WEBP":
            save_options = {"quality": options.quality, "method": 4}
        else:
            save_options = {"optimize": True}
        # Nothing but pixels: a fresh image carries no EXIF, XMP, ICC or comment.
        clean = Image.new(upright.mode, upright.size)
        clean.paste(upright)
        clean.save(out, format=options.format, **save_options)
    except (OSError, ValueError, Image.DecompressionBombError):
        return _passthrough(data, filename)
    content_type, extension = FORMATS[options.format]
    return PreparedPhoto(
        data=out.getvalue(),
        content_type=content_type,
        filename=_renamed(filename, extension),
        width=clean.width,
        height=clean.height,
        original_size=len(data),
        converted=True,
    )
