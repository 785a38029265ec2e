"""A 12 MP camera photo of a filled-in form, as a tablet's camera writes it.

4000 × 3000 pixels stored sideways with EXIF orientation 6 (the tablet held upright:
the camera writes landscape pixels and says "rotate 90° clockwise to show"), the GPS
position of the village and the camera's make, at JPEG quality 95 — 3–4 MB like a real
one. The form's lines are drawn with DejaVu Sans, Vietnamese diacritics included, at
the size a line of an A4 form has in such a photo.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#: The upright page (portrait), before the camera stores it sideways.
PAGE = (3000, 4000)
LINES = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "TỜ KHAI ĐĂNG KÝ KẾT HÔN",
    "Họ, chữ đệm, tên bên nữ: HẦU THỊ MỶ",
    "Ngày, tháng, năm sinh: 12/05/2001",
    "Dân tộc: Mông    Quốc tịch: Việt Nam",
    "Số định danh cá nhân: 010301012345",
    "Nơi cư trú: thôn Tả Van, xã Tả Van",
    "Họ, chữ đệm, tên bên nam: GIÀNG A PÁO",
    "Ngày, tháng, năm sinh: 03/11/1999",
    "Số định danh cá nhân: 010099054321",
    "Làm tại: xã Tả Van, ngày 07 tháng 12 năm 2026",
)
FINE_PRINT = "Ghi chú: giấy tờ nộp kèm là bản sao có chứng thực hoặc bản chụp kèm bản chính."
#: GPS tags a phone writes (IFD 0x8825): the thing that must not leave the tablet.
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def upright_page() -> Image.Image:
    """The form as the officer sees it (portrait), with a little camera noise."""
    page = Image.new("RGB", PAGE, (236, 232, 220))  # paper under an office lamp
    draw = ImageDraw.Draw(page)
    draw.rectangle((120, 120, PAGE[0] - 120, PAGE[1] - 120), outline=(40, 40, 40), width=8)
    title = ImageFont.truetype(FONT, 96)
    body = ImageFont.truetype(FONT, 64)
    y = 260
    for index, line in enumerate(LINES):
        font = title if index < 3 else body
        draw.text((260, y), line, fill=(25, 25, 30), font=font)
        y += 150 if index < 3 else 230
        if index >= 3:
            draw.line((260, y - 40, PAGE[0] - 260, y - 40), fill=(120, 120, 120), width=3)
    small = ImageFont.truetype(FONT, 40)  # the fine print: 10-point type on A4
    draw.text((260, y), FINE_PRINT, fill=(25, 25, 30), font=small)
    # Sensor noise and uneven light, so the JPEG has a camera's work to do.
    grain = Image.effect_noise(PAGE, 18).convert("RGB")
    light = Image.linear_gradient("L").resize(PAGE).convert("RGB")
    return Image.blend(Image.blend(page, grain, 0.12), light, 0.06)


def camera_jpeg() -> bytes:
    """The page as the camera saves it: pixels sideways, orientation 6, GPS, quality 95."""
    stored = upright_page().transpose(Image.Transpose.ROTATE_90)  # 4000 × 3000
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "SM-T225"  # Model
    exif[GPS_IFD] = {1: "N", 2: (22.0, 20.0, 10.5), 3: "E", 4: (103.0, 50.0, 30.2)}
    out = io.BytesIO()
    stored.save(out, format="JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()
