"""Which encoder keeps a photo legible in the fewest bytes: JPEG or WebP, colour or grey.

    .venv/bin/python -m bench.photo_encoders            # ~5 min; JSON to bench/results/
    .venv/bin/python -m bench.photo_encoders --quick    # one paper, one person, no OCR

Inputs: camera-sized photos made deterministically (``bench.camera_photos``): papers (an
A4 form on a desk, 12 MP, 3–5 MB as the camera writes them) and people (a portrait).
Each is prepared as the tablet does (``mobile.photo_resize.prepare_photo``: upright,
long edge 1600 px, no metadata) with every candidate encoder, and compared with the
**reference**: the same upright photo resized loss-free (LANCZOS to 1600 px, kept as
pixels, never encoded).

Legibility, objective proxies:

- **OCR** (papers): Tesseract (``tesseract -l vie``, Debian's ``tesseract-ocr`` and
  ``tesseract-ocr-vie``) reads the page; the score is the share of the words printed
  on the page that it reads exactly, diacritics and digits included (``words_read``). An
  encoding is *legible* when its score is at most ``OCR_MARGIN`` (1 point) below the
  reference's: the encoder costs an officer no more than the resize does.
- **SSIM** of the luminance against the reference (7 × 7 windows, as in Wang et al.
  2004), and PSNR. Papers must keep ``SSIM ≥ PAPER_SSIM`` (0.90: strokes intact, the
  paper's grain may go); a person's photo, judged by eye and not by OCR, ``SSIM ≥
  PERSON_SSIM`` (0.95) at half size (``half``: 800 px, the size a face is looked at on
  a screen, where the sensor's grain has averaged out; at full size SSIM mostly scores
  the grain) — in colour, since a face is not read.

The pick per kind is the smallest mean size among the encodings that pass on every input
of that kind (grey only when it saves at least 10 % against colour: colour keeps the red
seal and the ink, which tell an original from a copy); it is what
``mobile.photo_resize.OPTIONS_BY_KIND`` holds (a test checks that the two agree, from
the saved JSON). ``--repick`` applies the rules again to the saved measurements.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.camera_photos import CameraPhoto, paper_photo, person_photo  # noqa: E402
from mobile.photo_resize import OPTIONS_BY_KIND, PhotoOptions, prepare_photo  # noqa: E402

RESULTS = ROOT / "bench" / "results"
OUTPUT = RESULTS / "photo-encoders.json"
OCR_MARGIN = 0.01
PAPER_SSIM = 0.90
PERSON_SSIM = 0.95
GREY_MIN_SAVING = 0.10
QUALITIES = (20, 30, 40, 50, 60, 70, 80, 90)
MAX_EDGE = PhotoOptions().max_edge


@dataclass(frozen=True)
class Candidate:
    format: str
    quality: int
    greyscale: bool

    def options(self) -> PhotoOptions:
        return PhotoOptions(
            max_edge=MAX_EDGE,
            quality=self.quality,
            format=self.format,
            greyscale=self.greyscale,
        )


def label(candidate: Candidate) -> str:
    colour = "grey" if candidate.greyscale else "colour"
    return f"{candidate.format} q{candidate.quality} {colour}"


def candidates(kind: str) -> list[Candidate]:
    greys = (False, True) if kind == "paper" else (False,)
    return [Candidate(fmt, q, g) for fmt in ("JPEG", "WEBP") for g in greys for q in QUALITIES]


# -- measures ----------------------------------------------------------------------------------


def luma(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float64)


def _box(a: np.ndarray, size: int = 7) -> np.ndarray:
    """Mean over every ``size`` × ``size`` window (valid part only)."""
    c = np.cumsum(np.cumsum(np.pad(a, ((1, 0), (1, 0))), axis=0), axis=1)
    s = c[size:, size:] - c[:-size, size:] - c[size:, :-size] + c[:-size, :-size]
    return s / (size * size)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean structural similarity of two grey images (uniform 7 × 7 windows)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _box(a), _box(b)
    var_a = _box(a * a) - mu_a**2
    var_b = _box(b * b) - mu_b**2
    cov = _box(a * b) - mu_a * mu_b
    n = 49
    var_a, var_b, cov = var_a * n / (n - 1), var_b * n / (n - 1), cov * n / (n - 1)
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def half(a: np.ndarray) -> np.ndarray:
    """The image at half size (2 × 2 means): the scale a face is looked at on a screen,
    where the sensor's grain, which no one needs, has averaged out."""
    h, w = (a.shape[0] // 2) * 2, (a.shape[1] // 2) * 2
    b = a[:h, :w]
    return (b[0::2, 0::2] + b[1::2, 0::2] + b[0::2, 1::2] + b[1::2, 1::2]) / 4


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def words_read(read: str, truth: tuple[str, ...]) -> float:
    """Share of the printed words found in the OCR text, diacritics and digits exact.

    Counted as multisets, in any order: the page's layout (the stamp over the signature,
    the order Tesseract takes the blocks in) does not count, a wrong tone mark does.
    """
    expected = Counter(word.strip(".,:;") for word in " ".join(truth).split())
    got = Counter(word.strip(".,:;") for word in read.split())
    expected.pop("", None)
    return sum((expected & got).values()) / sum(expected.values())


def read_text(image: Image.Image, work: Path) -> str:
    """What Tesseract (Vietnamese) reads on ``image``."""
    path = work / "ocr.png"
    image.save(path)
    return subprocess.run(  # noqa: S603 - a fixed program on our own file
        ["tesseract", str(path), "-", "-l", "vie", "--psm", "4"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
    ).stdout


def reference(photo: CameraPhoto) -> Image.Image:
    """The upright photo resized loss-free, as pixels (never encoded)."""
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(photo.data))).convert("RGB")
    upright.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    return upright


# -- the comparison ----------------------------------------------------------------------------


def measure_photo(photo: CameraPhoto, work: Path, ocr: bool) -> dict[str, Any]:
    ref = reference(photo)
    ref_luma = luma(ref)
    row: dict[str, Any] = {"kind": photo.kind, "camera_bytes": len(photo.data), "encodings": []}
    if ocr and photo.text:
        row["reference_ocr"] = round(words_read(read_text(ref, work), photo.text), 4)
    for candidate in candidates(photo.kind):
        started = time.process_time()
        prepared = prepare_photo(photo.data, photo.filename, candidate.options())
        cpu = time.process_time() - started
        image = Image.open(io.BytesIO(prepared.data))
        image.load()
        got = luma(image)
        entry: dict[str, Any] = {
            "label": label(candidate),
            "format": candidate.format,
            "quality": candidate.quality,
            "greyscale": candidate.greyscale,
            "bytes": len(prepared.data),
            "ssim": round(ssim(got, ref_luma), 4),
            "ssim_half": round(ssim(half(got), half(ref_luma)), 4),
            "psnr": round(psnr(got, ref_luma), 2),
            "cpu_s": round(cpu, 3),
        }
        if "reference_ocr" in row:
            entry["ocr"] = round(words_read(read_text(image, work), photo.text), 4)
        entry["legible"] = legible(photo.kind, entry, row.get("reference_ocr"))
        row["encodings"].append(entry)
        print(
            f"  {photo.filename:<20} {label(candidate):<20} {entry['bytes']:>8,} B "
            f"SSIM {entry['ssim']:.3f} (½ {entry['ssim_half']:.3f}) PSNR {entry['psnr']:5.1f}"
            + (f" OCR {entry['ocr']:.3f}" if "ocr" in entry else "")
            + ("" if entry["legible"] else "  ✗"),
            flush=True,
        )
    return row


def legible(kind: str, entry: dict[str, Any], reference_ocr: float | None) -> bool:
    if kind == "person":
        return bool(entry["ssim_half"] >= PERSON_SSIM)
    if entry["ssim"] < PAPER_SSIM:
        return False
    if reference_ocr is not None and "ocr" in entry:
        return bool(entry["ocr"] >= reference_ocr - OCR_MARGIN)
    return True


def pick(rows: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    """The encoding with the smallest mean size that is legible on every input of ``kind``;
    grey only when it saves at least ``GREY_MIN_SAVING`` against the same encoder in
    colour (colour shows the red seal and the ink, which tell an original from a copy).
    """
    of_kind = [r for r in rows if r["kind"] == kind]
    if not of_kind:
        return None
    means: dict[tuple[str, int, bool], float] = {}
    for index, first in enumerate(of_kind[0]["encodings"]):
        entries = [r["encodings"][index] for r in of_kind]
        key = (first["format"], first["quality"], first["greyscale"])
        means[key] = statistics.mean(e["bytes"] for e in entries)
    best: dict[str, Any] | None = None
    for index, first in enumerate(of_kind[0]["encodings"]):
        entries = [r["encodings"][index] for r in of_kind]
        if not all(e["legible"] for e in entries):
            continue
        mean = means[(first["format"], first["quality"], first["greyscale"])]
        colour = means.get((first["format"], first["quality"], False))
        if first["greyscale"] and colour and mean > colour * (1 - GREY_MIN_SAVING):
            continue
        if best is None or mean < best["mean_bytes"]:
            best = {
                "label": first["label"],
                "format": first["format"],
                "quality": first["quality"],
                "greyscale": first["greyscale"],
                "mean_bytes": round(mean),
                "mean_camera_bytes": round(statistics.mean(r["camera_bytes"] for r in of_kind)),
            }
    return best


def photos(quick: bool) -> list[CameraPhoto]:
    if quick:
        return [paper_photo(1, "giay-to-1.jpg"), person_photo(1, "chan-dung-1.jpg")]
    return [
        paper_photo(1, "giay-to-1.jpg"),
        paper_photo(2, "giay-to-2.jpg"),
        paper_photo(3, "giay-to-3.jpg"),
        person_photo(1, "chan-dung-1.jpg"),
        person_photo(2, "chan-dung-2.jpg"),
    ]


def _app_options() -> dict[str, dict[str, Any]]:
    """What the app uses now, per kind (to compare with the picks)."""
    return {
        kind: {"format": o.format, "quality": o.quality, "greyscale": o.greyscale}
        for kind, o in OPTIONS_BY_KIND.items()
    }


def run(quick: bool, ocr: bool, only: str | None = None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="motcua-photos-"))
    try:
        rows = [
            measure_photo(photo, work, ocr)
            for photo in photos(quick)
            if only is None or photo.kind == only
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "max_edge": MAX_EDGE,
        "thresholds": {
            "ocr_margin": OCR_MARGIN,
            "paper_ssim": PAPER_SSIM,
            "person_ssim": PERSON_SSIM,
            "grey_min_saving": GREY_MIN_SAVING,
        },
        "ocr": ocr,
        "photos": rows,
        "pick": {kind: pick(rows, kind) for kind in ("paper", "person")},
        "app": _app_options(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two photos, no OCR")
    parser.add_argument("--no-ocr", action="store_true")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--repick", action="store_true", help="the picks again from --output's measurements"
    )
    parser.add_argument(
        "--only", choices=("paper", "person"), help="measure one kind again, keep the other's"
    )
    args = parser.parse_args(argv)
    if args.repick:
        result = json.loads(args.output.read_text())
        result["pick"] = {kind: pick(result["photos"], kind) for kind in ("paper", "person")}
        result["thresholds"]["grey_min_saving"] = GREY_MIN_SAVING
        result["app"] = _app_options()
    else:
        ocr = not (args.quick or args.no_ocr) and shutil.which("tesseract") is not None
        result = run(args.quick, ocr, args.only)
        if args.only:
            kept = json.loads(args.output.read_text())["photos"]
            result["photos"] = [r for r in kept if r["kind"] != args.only] + result["photos"]
            result["pick"] = {k: pick(result["photos"], k) for k in ("paper", "person")}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({"pick": result["pick"], "app": result["app"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
