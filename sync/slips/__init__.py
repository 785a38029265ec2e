"""PDF slips of the one-stop mechanism (Circular 01/2018/TT-VPCP, Decree 61/2018/NĐ-CP).

Six standard forms, in Vietnamese, from plain data (no ORM object, no Flask, no Kivy),
so that the server (admin web) and the tablet (receipt at the counter or in a village)
print exactly the same slips:

==========  =====================================================  ===========
Form        Title                                                  Function
==========  =====================================================  ===========
Mẫu số 01   Giấy tiếp nhận hồ sơ và hẹn trả kết quả (QR code)      receipt_slip
Mẫu số 02   Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ                supplement_slip
Mẫu số 03   Phiếu từ chối tiếp nhận giải quyết hồ sơ               refusal_slip
Mẫu số 04   Phiếu xin lỗi và hẹn lại ngày trả kết quả              apology_slip
Mẫu số 05   Phiếu kiểm soát quá trình giải quyết hồ sơ             control_sheet
Mẫu số 06   Sổ theo dõi hồ sơ (A4 landscape)                       tracking_log
==========  =====================================================  ===========

Forms 01 to 05 are A5 portrait. Every function returns the PDF as bytes; the output is
reproducible (same data, same bytes). Times are printed in office time (UTC+7).
"""

from sync.slips.data import (
    Applicant,
    DossierSlipData,
    LogRow,
    Office,
    TimelineRow,
    appointment_hour,
    status_url,
)
from sync.slips.fonts import FontNotFoundError, register_fonts
from sync.slips.forms import (
    apology_slip,
    control_sheet,
    receipt_slip,
    refusal_slip,
    supplement_slip,
)
from sync.slips.log import tracking_log

__all__ = [
    "Applicant",
    "DossierSlipData",
    "FontNotFoundError",
    "LogRow",
    "Office",
    "TimelineRow",
    "apology_slip",
    "appointment_hour",
    "control_sheet",
    "receipt_slip",
    "refusal_slip",
    "register_fonts",
    "status_url",
    "supplement_slip",
    "tracking_log",
]
