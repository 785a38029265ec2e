"""Photos of papers are made light when taken (``mobile.photo_resize``).

A 12 MP camera JPEG of a form (``form_photo.camera_jpeg``: 4000 × 3000 stored sideways,
EXIF orientation 6, GPS position, quality 95, about 2.8 MB) must come out upright,
1200 × 1600, a few hundred KB at most, without any EXIF, and legible: the images are
written to ``test-artifacts/photos/`` to be looked at, and the text region is compared
with a loss-free resize of the original (PSNR).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from mobile.photo_resize import FORMATS, PhotoOptions, options_for, prepare_photo
from tests.mobile.form_photo import GPS_IFD, camera_jpeg, upright_page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "photos"


@pytest.fixture(scope="module")
def camera() -> bytes:
    return camera_jpeg()


def psnr(a: Image.Image, b: Image.Image) -> float:
    rms = ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).rms[0]
    return 99.0 if rms == 0 else 20 * math.log10(255 / rms)


def test_a_12_mp_form_photo_becomes_light_upright_and_clean(camera: bytes) -> None:
    original = Image.open(io.BytesIO(camera))
    assert original.size == (4000, 3000) and original.getexif()[0x0112] == 6
    assert original.getexif().get_ifd(GPS_IFD), "the test photo carries a location"
    assert len(camera) > 2_000_000

    prepared = prepare_photo(camera, "IMG_20261207_0931.jpg")

    assert prepared.converted and prepared.content_type == "image/jpeg"
    assert prepared.filename == "IMG_20261207_0931.jpg"
    assert prepared.original_size == len(camera)
    # 4000 × 3000 sideways, rotated upright: 3000 × 4000, long edge to 1600.
    assert (prepared.width, prepared.height) == (1200, 1600)
    assert 30_000 < len(prepared.data) < 400_000, len(prepared.data)
    light = Image.open(io.BytesIO(prepared.data))
    assert light.size == (1200, 1600)
    assert not light.getexif(), "no EXIF: no location, camera, orientation left"
    assert b"Exif" not in prepared.data[:4096] and b"SM-T225" not in prepared.data

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    Path(ARTIFACTS / "form-after.jpg").write_bytes(prepared.data)
    before = ImageOps.exif_transpose(original)
    # The same corner of the page, before (scaled for the eye) and after (as kept).
    before.crop((0, 0, 3000, 2000)).resize((1200, 800)).save(ARTIFACTS / "form-before-top.png")
    light.crop((0, 0, 1200, 800)).save(ARTIFACTS / "form-after-top.png")
    light.crop((0, 1040, 1200, 1240)).resize((2400, 400)).save(ARTIFACTS / "form-after-fine.png")

    # Legible: the kept photo is close to a loss-free resize of the upright page.
    reference = upright_page().resize((1200, 1600), Image.Resampling.LANCZOS)
    assert psnr(light, reference) > 28


def test_the_page_is_upright_not_sideways(camera: bytes) -> None:
    """The page's dark frame and title are at the top once the orientation is applied."""
    light = Image.open(io.BytesIO(prepare_photo(camera).data)).convert("L")
    title = ImageStat.Stat(light.crop((100, 100, 900, 160))).mean[0]  # the heading's ink
    blank = ImageStat.Stat(light.crop((100, 1480, 900, 1540))).mean[0]  # paper at the foot
    assert title < blank - 20


def test_parameters_for_the_benchmarks(camera: bytes) -> None:
    webp = prepare_photo(camera, "a.jpg", PhotoOptions(format="WEBP", quality=70))
    assert webp.content_type == "image/webp" and webp.filename == "a.webp"
    assert Image.open(io.BytesIO(webp.data)).format == "WEBP"
    grey = prepare_photo(camera, "a.jpg", PhotoOptions(greyscale=True, max_edge=1000))
    image = Image.open(io.BytesIO(grey.data))
    assert image.mode == "L" and image.size == (750, 1000)
    with pytest.raises(ValueError, match="unknown photo format"):
        PhotoOptions(format="GIF")


def test_small_photos_are_not_enlarged_and_transparent_png_is_white() -> None:
    small = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    out = io.BytesIO()
    small.save(out, format="PNG")
    prepared = prepare_photo(out.getvalue(), "scan.png")
    image = Image.open(io.BytesIO(prepared.data))
    assert image.size == (300, 200) and prepared.filename == "scan.jpg"
    assert image.convert("L").getpixel((10, 10)) > 250  # paper, not black


def test_a_file_that_is_not_an_image_is_kept_as_it_came() -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    prepared = prepare_photo(pdf, "giay-to.pdf")
    assert not prepared.converted
    assert prepared.data == pdf and prepared.content_type == "application/pdf"


# -- one encoder per kind of photo (bench/photo_encoders.py) ------------------------------------

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "photo-encoders.json"


@pytest.mark.parametrize("kind", ["paper", "person"])
def test_each_kind_is_taken_with_the_benchmarks_pick(kind: str) -> None:
    """The app's options are the smallest legible encoding the benchmark measured."""
    import json

    measured = json.loads(RESULTS.read_text(encoding="utf-8"))
    picked = measured["pick"][kind]
    options = options_for(kind)
    assert (options.format, options.quality, options.greyscale) == (
        picked["format"],
        picked["quality"],
        picked["greyscale"],
    )
    assert options.max_edge == measured["max_edge"]
    with pytest.raises(ValueError, match="unknown kind of photo"):
        options_for("selfie")


def test_a_form_taken_as_a_paper_is_a_few_tens_of_kb_and_still_legible(camera: bytes) -> None:
    options = options_for("paper")
    prepared = prepare_photo(camera, "IMG_0931.jpg", options)
    assert prepared.content_type == FORMATS[options.format][0]
    assert prepared.filename == "IMG_0931" + FORMATS[options.format][1]
    # 2.8 MB from the camera; the app's previous default (JPEG q80) kept ~180 KB.
    assert len(prepared.data) < 100_000, len(prepared.data)
    assert len(prepared.data) < len(prepare_photo(camera).data) / 2
    light = Image.open(io.BytesIO(prepared.data))
    assert light.size == (1200, 1600) and not light.getexif()
    reference = upright_page().resize((1200, 1600), Image.Resampling.LANCZOS)
    assert psnr(light, reference) > 28
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    light.crop((0, 1040, 1200, 1240)).resize((2400, 400)).save(ARTIFACTS / "form-paper-fine.png")


def test_the_intake_takes_its_photos_as_papers() -> None:
    from dataclasses import fields

    from mobile.app.viewmodels.intake import IntakeModel

    default = next(f for f in fields(IntakeModel) if f.name == "photo_options")
    assert default.default_factory() == options_for("paper")  # type: ignore[misc]
