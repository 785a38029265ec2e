"""The measures and the pick rule of ``bench/photo_encoders.py`` (no camera photos, fast)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.photo_encoders import half, pick, ssim, words_read


def test_words_read_counts_exact_words_in_any_order() -> None:
    truth = ("Số định danh: 012345", "xã Tả Van")
    assert words_read("xã Tả Van\nSố định danh: 012345", truth) == 1.0
    # a lost tone mark is a word not read; an extra word (the stamp) costs nothing
    assert words_read("So định danh: 012345 xã Tả Van ỦY BAN", truth) == 6 / 7


def test_ssim_is_one_for_the_same_image_and_falls_with_noise() -> None:
    rng = np.random.default_rng(1)
    image = np.tile(np.linspace(0, 255, 64), (64, 1))
    assert abs(ssim(image, image) - 1.0) < 1e-9
    noisy = np.clip(image + rng.normal(0, 25, image.shape), 0, 255)
    assert ssim(noisy, image) < 0.9
    # at half size the grain averages out: closer to the original
    assert ssim(half(noisy), half(image)) > ssim(noisy, image)


def _row(entries: list[tuple[str, int, bool, int, bool]]) -> dict[str, Any]:
    return {
        "kind": "paper",
        "camera_bytes": 4_000_000,
        "encodings": [
            {
                "label": f"{f} q{q} {'grey' if g else 'colour'}",
                "format": f,
                "quality": q,
                "greyscale": g,
                "bytes": b,
                "legible": ok,
            }
            for f, q, g, b, ok in entries
        ],
    }


def test_the_pick_is_the_smallest_legible_everywhere_and_grey_only_if_worth_it() -> None:
    first = _row(
        [
            ("WEBP", 20, False, 30_000, False),  # smallest, not legible on this one
            ("WEBP", 30, False, 40_000, True),
            ("WEBP", 30, True, 38_000, True),  # 5 % smaller: colour kept
            ("JPEG", 30, True, 35_000, True),
        ]
    )
    second = _row(
        [
            ("WEBP", 20, False, 30_000, True),
            ("WEBP", 30, False, 40_000, True),
            ("WEBP", 30, True, 38_000, True),
            ("JPEG", 30, True, 45_000, True),
        ]
    )
    chosen = pick([first, second], "paper")
    assert chosen is not None
    assert (chosen["format"], chosen["quality"], chosen["greyscale"]) == ("WEBP", 30, False)
    assert pick([first, second], "person") is None
