"""Camera-sized photos for the benchmarks, made deterministically from a seed.

What a tablet's 12 MP camera gives an officer at the one-stop counter:

- ``paper_photo``: an A4 form on a desk, photographed from above — Vietnamese text at
  the sizes of a printed form (12-point body, 10-point fine print), a red round stamp, a
  blue signature, the page slightly turned, lit unevenly (a lamp on one side, darker
  corners), on a wooden desk, with sensor noise; 4000 × 3000 pixels stored sideways with
  EXIF orientation 6, at the camera's JPEG quality (92): 3–5 MB.
- ``person_photo``: a head-and-shoulders portrait (a citizen for a record), smooth skin
  and background gradients, hair, a collar, sensor noise; same size and storage.

Each returns a :class:`CameraPhoto` with the JPEG bytes and, for papers, the text
printed on the page (for OCR). Pillow only; the same seed gives the same bytes.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

__all__ = ["CameraPhoto", "camera_photo", "kind_of", "paper_photo", "person_photo"]

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
#: The frame, upright (portrait), as the officer holds the tablet.
FRAME = (3000, 4000)
#: The camera's own JPEG quality (phones and tablets write 90–95).
CAMERA_QUALITY = 92
ORIENTATION = 0x0112

_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Giàng", "Hầu")
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Ngọc", "Hữu", "A", "Thị Thu")
_GIVEN = ("Hùng", "Lan", "Mỷ", "Páo", "Dũng", "Hương", "Sơn", "Thảo", "Cường", "Nhung")
_PLACES = ("thôn Tả Van", "bản Lao Chải", "thôn Hầu Thào", "xóm Đồng Tâm", "tổ 3 Sa Pả")
_FORMS = (
    "TỜ KHAI ĐĂNG KÝ KẾT HÔN",
    "TỜ KHAI ĐĂNG KÝ KHAI SINH",
    "ĐƠN ĐỀ NGHỊ CHỨNG THỰC",
    "TỜ KHAI ĐĂNG KÝ THƯỜNG TRÚ",
)
_BODY = (
    "Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014 và các văn bản hướng dẫn thi hành,",
    "tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm",
    "trước pháp luật về cam đoan của mình. Đề nghị Ủy ban nhân dân xã xem xét giải quyết.",
)
FINE_PRINT = "Ghi chú: giấy tờ nộp kèm là bản sao có chứng thực hoặc bản chụp kèm bản chính."


@dataclass(frozen=True)
class CameraPhoto:
    """A camera's JPEG and what it shows."""

    kind: str  # "paper" or "person"
    data: bytes
    filename: str
    #: The lines printed on the page (papers), for OCR; empty for a person.
    text: tuple[str, ...] = field(default=())


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}".upper()


def _form_lines(rng: random.Random) -> tuple[str, list[str]]:
    title = rng.choice(_FORMS)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    lines = [
        f"Họ, chữ đệm, tên người yêu cầu: {_name(rng)}",
        f"Ngày, tháng, năm sinh: {day:02d}/{month:02d}/{rng.randint(1960, 2005)}",
        f"Số định danh cá nhân: 0{rng.randrange(10**11):011d}",
        f"Nơi cư trú: {rng.choice(_PLACES)}, xã Tả Van, tỉnh Lào Cai",
        f"Quan hệ với người được khai: {rng.choice(('cha', 'mẹ', 'ông', 'bà', 'bản thân'))}",
        f"Họ, chữ đệm, tên: {_name(rng)}",
        f"Số điện thoại: 09{rng.randrange(10**8):08d}",
        *_BODY,
        f"Làm tại: xã Tả Van, ngày {day:02d} tháng {month:02d} năm 2026",
    ]
    return title, lines


def _page(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, tuple[str, ...]]:
    """An A4 form at ``size`` (about 13 px per mm), with its printed lines."""
    width = size[0]
    mm = width / 210
    page = Image.new("RGB", size, (246, 244, 236))
    draw = ImageDraw.Draw(page)
    pt = mm * 0.3528  # one typographic point in pixels
    header = ImageFont.truetype(FONT_BOLD, round(13 * pt))
    title_font = ImageFont.truetype(FONT_BOLD, round(15 * pt))
    body = ImageFont.truetype(FONT_SERIF, round(12 * pt))
    fine = ImageFont.truetype(FONT, round(10 * pt))
    ink = (28, 28, 34)
    title, lines = _form_lines(rng)
    printed = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", title]
    y = 20 * mm
    for text, font in zip(printed, (header, header, title_font), strict=True):
        w = draw.textlength(text, font=font)
        draw.text(((width - w) / 2, y), text, fill=ink, font=font)
        y += 12 * mm
    y += 6 * mm
    for line in lines:
        draw.text((20 * mm, y), line, fill=ink, font=body)
        y += 9.5 * mm
    draw.text((20 * mm, y + 4 * mm), FINE_PRINT, fill=ink, font=fine)
    # Signature (blue ballpoint) and the commune's red round stamp over it.
    sx, sy = width * 0.62, y + 30 * mm
    points = [
        (sx + i * 6 * mm / 4, sy + math.sin(i * 1.3 + rng.random()) * 7 * mm) for i in range(28)
    ]
    draw.line(points, fill=(30, 50, 150), width=max(2, round(0.5 * mm)), joint="curve")
    stamp = Image.new("RGBA", size, (0, 0, 0, 0))
    sdraw = ImageDraw.Draw(stamp)
    cx, cy, r = sx + 5 * mm, sy - 2 * mm, 19 * mm
    red = (200, 30, 40, 170)
    for radius, thickness in ((r, 0.9 * mm), (r - 4 * mm, 0.5 * mm)):
        sdraw.ellipse(
            (cx - radius, cy - radius, cx + radius, cy + radius),
            outline=red,
            width=round(thickness),
        )
    stamp_font = ImageFont.truetype(FONT_BOLD, round(9 * pt))
    for text, dy in (("ỦY BAN NHÂN DÂN", -5 * mm), ("XÃ TẢ VAN", 0), ("★", 5 * mm)):
        w = sdraw.textlength(text, font=stamp_font)
        sdraw.text((cx - w / 2, cy + dy - 2 * mm), text, fill=red, font=stamp_font)
    page.paste(stamp, mask=stamp)
    return page, (*printed, *lines, FINE_PRINT)


def _noise(rng: random.Random, size: tuple[int, int], sigma: float) -> Image.Image:
    """Grey noise around 128 with spread ``sigma``, from ``rng`` (Pillow's own
    ``effect_noise`` draws from an unseeded generator)."""
    flat = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    scale = sigma / 74  # a uniform byte has a standard deviation of 74
    return flat.point(lambda v: round(128 + (v - 128) * scale))


def _lighting(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A multiplier (L, 255 = as is): a lamp on one side, darker corners."""
    small = Image.new("L", (64, 64))
    lx, ly = rng.uniform(-0.3, 1.3), rng.uniform(-0.3, 0.4)
    for x in range(64):
        for y in range(64):
            u, v = x / 63, y / 63
            lamp = 1.0 - 0.35 * min(1.0, math.hypot(u - lx, v - ly) / 1.4)
            corner = 1.0 - 0.18 * (math.hypot(u - 0.5, v - 0.5) / 0.707) ** 2
            small.putpixel((x, y), round(255 * lamp * corner))
    return small.resize(size, Image.Resampling.BILINEAR)


def _finish(image: Image.Image, rng: random.Random) -> bytes:
    """Light, lens blur, sensor noise, then stored as a camera does: sideways, tag 6."""
    light = _lighting(image.size, rng).convert("RGB")
    shaded = ImageChops.multiply(image, light)
    blurred = shaded.filter(ImageFilter.GaussianBlur(0.8))  # the lens is not perfect
    grain = _noise(rng, image.size, 24).convert("RGB")
    noisy = ImageChops.add(blurred, grain, scale=1.0, offset=-128)
    noisy = Image.blend(blurred, noisy, 0.25)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "SM-T225"  # Model
    out = io.BytesIO()
    noisy.transpose(Image.Transpose.ROTATE_90).save(
        out, format="JPEG", quality=CAMERA_QUALITY, exif=exif.tobytes()
    )
    return out.getvalue()


def paper_photo(seed: int = 1, name: str = "giay-to.jpg") -> CameraPhoto:
    rng = random.Random(seed)  # noqa: S311 - a reproducible picture, not a secret
    frame = Image.new("RGB", FRAME, (120, 84, 52))  # a wooden desk
    wood = _noise(rng, (FRAME[0] // 8, FRAME[1]), 40).resize(FRAME)
    frame = Image.composite(frame, Image.new("RGB", FRAME, (96, 64, 38)), wood)
    page, text = _page(rng, (2700, 3818))
    angle = rng.uniform(-2.0, 2.0)
    turned = page.convert("RGBA").rotate(angle, Image.Resampling.BICUBIC, expand=True)
    shadow = Image.new("RGBA", turned.size, (0, 0, 0, 90))
    x = (FRAME[0] - turned.width) // 2 + rng.randint(-40, 40)
    y = (FRAME[1] - turned.height) // 2 + rng.randint(-40, 40)
    frame.paste(shadow, (x + 25, y + 30), mask=turned.getchannel("A").point(lambda v: v // 3))
    frame.paste(turned, (x, y), mask=turned)
    return CameraPhoto("paper", _finish(frame, rng), name, text)


def person_photo(seed: int = 1, name: str = "chan-dung.jpg") -> CameraPhoto:
    rng = random.Random(seed)  # noqa: S311
    w, h = FRAME
    top = (rng.randint(150, 200), rng.randint(170, 210), rng.randint(200, 235))
    frame = Image.linear_gradient("L").resize(FRAME)
    frame = Image.composite(
        Image.new("RGB", FRAME, (90, 110, 140)), Image.new("RGB", FRAME, top), frame
    )
    draw = ImageDraw.Draw(frame)
    skin = (rng.randint(190, 225), rng.randint(150, 180), rng.randint(120, 150))
    shirt = rng.choice(((240, 240, 235), (40, 60, 110), (150, 40, 40)))
    cx = w // 2 + rng.randint(-100, 100)
    draw.ellipse((cx - 1300, 2900, cx + 1300, 5200), fill=shirt)  # shoulders
    draw.polygon([(cx - 260, 2900), (cx, 3350), (cx + 260, 2900)], fill=skin)  # collar
    draw.rectangle((cx - 300, 2300, cx + 300, 3000), fill=skin)  # neck
    draw.ellipse((cx - 760, 700, cx + 760, 2700), fill=(25, 20, 20))  # hair
    for _ in range(400):  # strands of hair, under the face
        x0, y0 = cx + rng.randint(-600, 600), rng.randint(800, 1900)
        draw.line((x0, y0, x0 + rng.randint(-80, 80), y0 + 400), fill=(60, 45, 40), width=3)
    draw.ellipse((cx - 640, 1000, cx + 640, 2750), fill=skin)  # face
    shade = tuple(max(0, c - 45) for c in skin)
    for ex in (cx - 260, cx + 260):
        draw.ellipse((ex - 120, 1650, ex + 120, 1760), fill=(250, 250, 250))
        draw.ellipse((ex - 55, 1650, ex + 55, 1760), fill=(50, 35, 25))
        draw.arc((ex - 150, 1540, ex + 150, 1660), 200, 340, fill=(30, 25, 20), width=25)
    draw.polygon([(cx, 1800), (cx - 80, 2150), (cx + 80, 2150)], fill=shade)  # nose
    draw.arc((cx - 220, 2200, cx + 220, 2420), 20, 160, fill=(150, 60, 60), width=30)
    smooth = frame.filter(ImageFilter.GaussianBlur(3))  # the lens: soft, not flat
    # Texture of skin, fabric and wall: fine-grained detail a real portrait has.
    texture = _noise(rng, (w // 6, h // 6), 60).resize(FRAME, Image.Resampling.BICUBIC)
    smooth = Image.blend(smooth, Image.merge("RGB", [texture] * 3), 0.08)
    return CameraPhoto("person", _finish(smooth, rng), name)


def kind_of(index: int) -> str:
    """The kind of the ``index``-th photo of a field day: five papers, then one person."""
    return "person" if index % 6 == 5 else "paper"


def camera_photo(index: int, seed: int = 2026) -> CameraPhoto:
    """The ``index``-th photo of a field day (``kind_of``), made from ``seed``."""
    if kind_of(index) == "person":
        return person_photo(seed * 1000 + index, f"chan-dung-{index + 1:02d}.jpg")
    return paper_photo(seed * 1000 + index, f"giay-to-{index + 1:02d}.jpg")
