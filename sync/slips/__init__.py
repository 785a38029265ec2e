"""PDF slips of the one-stop mechanism (Circular 03/2025/TT-VPCP, Decree 118/2025/NĐ-CP).

The seven forms of Annex I of Circular 03/2025/TT-VPCP (15 September 2025), in
Vietnamese, from plain data (no ORM object, no Flask, no Kivy), so that the server
(admin web) and the tablet (receipt at the counter or in a village) print exactly the
same slips:

==========  ========================================================  ===========
Form        Title                                                     Function
==========  ========================================================  ===========
Mẫu số 01   Giấy tiếp nhận hồ sơ và hẹn trả kết quả (QR code)         receipt_slip
Mẫu số 02   Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ                   supplement_slip
Mẫu số 03   Phiếu từ chối tiếp nhận giải quyết hồ sơ                  refusal_slip
Mẫu số 04   Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết   apology_slip
Mẫu số 05   Thông báo dừng giải quyết hồ sơ                           stop_notice
Mẫu số 06   Phiếu kiểm soát quá trình giải quyết hồ sơ                control_sheet
Mẫu số 07   Sổ theo dõi hồ sơ (A4 landscape)                          tracking_log
==========  ========================================================  ===========

Forms 01 to 06 are A5 portrait. Every function returns the PDF as bytes; the output is
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
    stop_notice,
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
    "stop_notice",
    "supplement_slip",
    "tracking_log",
]
