"""Camera-sized inputs of the photo benchmarks (``bench.camera_photos``) and the field
day's camera mode (``bench.field_day_net --camera``): what the tablet keeps is what the
app's capture path makes of the camera's file, and Kinto gets the camera's file."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageOps

from bench.camera_photos import CameraPhoto, camera_photo, kind_of, paper_photo, person_photo
from bench.field_day_net import _camera_source
from mobile.photo_resize import options_for, prepare_photo


def test_a_paper_photo_is_a_12_mp_camera_jpeg_made_from_its_seed() -> None:
    photo: CameraPhoto = paper_photo(5)
    paper = photo.data
    assert paper_photo(5).data == paper  # deterministic
    image = Image.open(io.BytesIO(paper))
    assert image.format == "JPEG" and image.size == (4000, 3000)  # stored sideways
    assert image.getexif()[0x0112] == 6
    assert 2_000_000 < len(paper) < 8_000_000
    upright = ImageOps.exif_transpose(image)
    assert upright.size == (3000, 4000)
    text = " ".join(photo.text)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Số định danh cá nhân" in text
    # A red stamp: some pixels are clearly red, as the commune's seal is.
    small = upright.convert("RGB").resize((300, 400))
    raw = small.tobytes()
    pixels = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    red = [p for p in pixels if p[0] > 150 and p[1] < 110 and p[2] < 120]
    assert len(red) > 20


def test_a_person_photo_has_no_text_and_every_sixth_photo_is_one() -> None:
    person = person_photo(1)
    assert person.kind == "person" and person.text == ()
    assert Image.open(io.BytesIO(person.data)).size == (4000, 3000)
    assert [kind_of(i) for i in range(12)] == (["paper"] * 5 + ["person"]) * 2


def test_the_field_days_camera_mode_keeps_the_apps_photo_and_the_cameras_file(
    tmp_path: Path,
) -> None:
    files: dict[str, dict[str, object]] = {}
    make = _camera_source(tmp_path, 2026, files)
    data, content_type, filename = make(0)
    camera = camera_photo(0, 2026)
    expected = prepare_photo(camera.data, camera.filename, options_for("paper"))
    assert data == expected.data and content_type == expected.content_type
    assert filename == expected.filename
    kept = files[hashlib.sha256(data).hexdigest()]
    assert Path(str(kept["path"])).read_bytes() == camera.data  # Kinto uploads this
    assert kept["size"] == len(camera.data) > 20 * len(data)
