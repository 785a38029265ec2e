"""Vietnamese first, English on request: the app's texts, switchable at run time.

A plain dictionary of ``key -> (Vietnamese, English)``; ``Translator`` picks one
language and tells its listeners when the officer switches. Placeholders use
``str.format`` names, identical in both languages (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mobile.app.fmt import bilingual

__all__ = ["LANGUAGES", "STRINGS", "Translator"]

LANGUAGES = ("vi", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # -- the app and its frame ------------------------------------------------------------------
    "app.title": ("Một Cửa Field", "Một Cửa Field"),
    "bar.not_registered": ("Máy chưa đăng ký", "Tablet not registered"),
    "bar.online": ("Trực tuyến", "Online"),
    "bar.offline": ("Ngoại tuyến", "Offline"),
    "bar.syncing": ("Đang đồng bộ…", "Syncing…"),
    "app.menu": ("Chức năng", "Menu"),
    "bar.pending": ("Chưa gửi: {count}", "Not sent: {count}"),
    "bar.synced": ("Đồng bộ lúc {time}", "Synced {time}"),
    "bar.never_synced": ("Chưa đồng bộ lần nào", "Never synced"),
    "bar.conflicts": ("Xung đột: {count}", "Conflicts: {count}"),
    "bar.rejected": ("Bị từ chối: {count}", "Refused: {count}"),
    "nav.home": ("Việc hôm nay", "Today"),
    "nav.intake": ("Tiếp nhận hồ sơ", "New dossier"),
    "nav.feedback": ("Phản ánh, kiến nghị", "Feedback"),
    "nav.survey": ("Khảo sát tại thôn", "Village survey"),
    "nav.sync": ("Đồng bộ", "Sync"),
    "nav.settings": ("Cài đặt", "Settings"),
    "nav.lock": ("Khóa máy", "Lock"),
    "common.back": ("Quay lại", "Back"),
    "common.next": ("Tiếp tục", "Next"),
    "common.cancel": ("Hủy", "Cancel"),
    "common.ok": ("Đồng ý", "OK"),
    "common.save": ("Lưu", "Save"),
    "common.open": ("Mở", "Open"),
    "common.none": ("(không chọn)", "(none)"),
    "common.yes": ("Có", "Yes"),
    "common.no": ("Không", "No"),
    "common.required": ("Không được để trống", "Required"),
    "common.bad_date": (
        "Ngày không hợp lệ, nhập theo dạng ngày/tháng/năm, ví dụ 17/05/1990",
        "Not a valid date; type day/month/year, e.g. 17/05/1990",
    ),
    "common.on_server": ("Đã lên máy chủ", "On the server"),
    "common.not_on_server": ("Chưa gửi lên máy chủ", "Not on the server yet"),
    "common.saved": ("Đã lưu trên máy", "Saved on the tablet"),
    "common.example": ("vd. {value}", "e.g. {value}"),
    "common.empty_list": ("Không có mục nào", "Nothing here"),
    # -- first run and unlock -------------------------------------------------------------------
    "setup.title": ("Đăng ký máy tính bảng", "Register this tablet"),
    "setup.intro": (
        "Lần đầu sử dụng: cần có mạng một lần để đăng ký máy với máy chủ của tỉnh. "
        "Sau đó máy làm việc được cả khi không có sóng.",
        "First use: the tablet needs a connection once to register with the province's "
        "server. After that it works without any signal.",
    ),
    "setup.server": ("Địa chỉ máy chủ", "Server address"),
    "setup.username": ("Tên đăng nhập của cán bộ", "Officer's username"),
    "setup.password": ("Mật khẩu", "Password"),
    "setup.register": ("Đăng ký máy", "Register"),
    "setup.registering": ("Đang đăng ký với máy chủ…", "Registering with the server…"),
    "setup.bad_url": (
        "Địa chỉ phải bắt đầu bằng http:// hoặc https://",
        "The address must start with http:// or https://",
    ),
    "setup.wrong_login": (
        "Sai tên đăng nhập hoặc mật khẩu",
        "Wrong username or password",
    ),
    "setup.unreachable": (
        "Không kết nối được máy chủ. Kiểm tra mạng và địa chỉ máy chủ rồi thử lại.",
        "Cannot reach the server. Check the connection and the address, then try again.",
    ),
    "setup.registered": (
        "Đã đăng ký: {commune}, máy số {device_no}, cán bộ {officer}",
        "Registered: {commune}, tablet no. {device_no}, officer {officer}",
    ),
    "setup.pin_title": ("Đặt mã PIN mở máy", "Choose the unlock PIN"),
    "setup.pin_intro": (
        "Mã PIN gồm 6 chữ số, dùng để mở ứng dụng cả khi không có mạng. "
        "Dữ liệu cá nhân của công dân trên máy được mã hóa bằng mã này.",
        "A 6-digit PIN opens the app, even offline. Citizens' personal data on the "
        "tablet is encrypted with it.",
    ),
    "setup.pin": ("Mã PIN (6 chữ số)", "PIN (6 digits)"),
    "setup.pin_again": ("Nhập lại mã PIN", "PIN again"),
    "setup.pin_save": ("Đặt mã PIN", "Set the PIN"),
    "setup.pin_length": ("Mã PIN phải gồm đúng 6 chữ số", "The PIN must be exactly 6 digits"),
    "setup.pin_mismatch": ("Hai lần nhập không giống nhau", "The two PINs differ"),
    "unlock.title": ("Nhập mã PIN để mở máy", "Enter the PIN to unlock"),
    "unlock.hint": (
        "Mở được cả khi không có mạng. Sai 5 lần liên tiếp máy sẽ tạm khóa.",
        "Works offline. After 5 wrong PINs in a row the app locks for a while.",
    ),
    "unlock.wrong": (
        "Mã PIN không đúng, còn {left} lần thử",
        "Wrong PIN, {left} tries left",
    ),
    "unlock.locked": (
        "Nhập sai quá nhiều lần. Thử lại sau {seconds} giây.",
        "Too many wrong PINs. Try again in {seconds} s.",
    ),
    "unlock.clear": ("Xóa 1 số", "Delete a digit"),
    "unlock.forgot": ("Quên mã PIN?", "Forgot the PIN?"),
    "recover.title": ("Đặt lại mã PIN", "Set a new PIN"),
    "recover.intro": (
        "Cần có mạng. Nhập tài khoản của cán bộ đã đăng ký máy này; máy chủ kiểm tra "
        "mật khẩu rồi mới cho mở dữ liệu. Mọi hồ sơ trên máy, kể cả những thay đổi chưa "
        "gửi, được giữ nguyên.",
        "Needs a connection. Enter the account of the officer this tablet is registered "
        "to; the server checks the password before the data can be opened. Every record "
        "on the tablet, unsent changes included, is kept.",
    ),
    "recover.new_pin": ("Mã PIN mới (6 chữ số)", "New PIN (6 digits)"),
    "recover.save": ("Kiểm tra mật khẩu và đặt mã PIN mới", "Check the password, set the PIN"),
    "recover.working": ("Đang hỏi máy chủ…", "Asking the server…"),
    "recover.back": ("Quay lại nhập mã PIN", "Back to the PIN"),
    "recover.wrong_login": (
        "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản này không phải của máy này",
        "Wrong username or password, or not this tablet's officer",
    ),
    "recover.not_enrolled": (
        "Máy chủ chưa giữ khóa khôi phục của máy này (máy chưa đồng bộ lần nào sau khi "
        "đặt mã PIN). Không thể mở dữ liệu khi không có mã PIN; liên hệ quản trị viên.",
        "The server holds no recovery secret for this tablet (it has not synced since "
        "the PIN was set). The data cannot be opened without the PIN; contact your "
        "administrator.",
    ),
    "recover.revoked": (
        "Máy tính bảng đã bị thu hồi; liên hệ quản trị viên để được cho phép lại.",
        "This tablet has been revoked; ask an administrator to reinstate it.",
    ),
    "recover.done": (
        "Đã đặt mã PIN mới. Dữ liệu trên máy được giữ nguyên.",
        "New PIN set. The data on the tablet is kept.",
    ),
    # -- home -----------------------------------------------------------------------------------
    "home.title": ("Việc hôm nay, {day}", "Today's work, {day}"),
    "home.search": (
        "Tìm: số biên nhận, tên hoặc số CCCD",
        "Search: receipt no., name or citizen ID",
    ),
    "home.results": ("Kết quả tìm kiếm: {count}", "Search results: {count}"),
    "bucket.overdue": ("Quá hạn", "Overdue"),
    "bucket.today": ("Hẹn trả hôm nay", "Due today"),
    "bucket.supplement": ("Chờ bổ sung", "Needs supplement"),
    "bucket.to_return": ("Chờ trả kết quả", "Result to return"),
    "bucket.open": ("Đang giải quyết", "All open"),
    "bucket.feedback": ("Phản ánh chờ trả lời", "Feedback to answer"),
    "home.row_due": ("Hẹn trả {date}", "Due {date}"),
    "home.row_late": ("Quá hạn {days} ngày làm việc", "{days} working days late"),
    "home.row_late_short": ("Quá hạn", "Late"),
    "home.row_new_date": ("hẹn lại {date}", "new date {date}"),
    "home.feedback_due": ("Hạn trả lời {date}", "Answer by {date}"),
    "home.new_dossier": ("+ Tiếp nhận hồ sơ mới", "+ New dossier"),
    # -- statuses and kinds ---------------------------------------------------------------------
    "status.received": ("Đã tiếp nhận", "Received"),
    "status.needs_supplement": ("Yêu cầu bổ sung", "Needs supplement"),
    "status.refused": ("Từ chối tiếp nhận", "Refused"),
    "status.in_progress": ("Đang giải quyết", "In progress"),
    "status.approved": ("Đã giải quyết – đồng ý", "Approved"),
    "status.rejected": ("Đã giải quyết – không đồng ý", "Rejected"),
    "status.result_returned": ("Đã trả kết quả", "Result returned"),
    "status.withdrawn": ("Công dân rút hồ sơ", "Withdrawn"),
    "status.stopped": ("Dừng giải quyết", "Processing stopped"),
    "action.needs_supplement": ("Yêu cầu bổ sung", "Request supplement"),
    "action.refused": ("Từ chối tiếp nhận", "Refuse"),
    "action.in_progress": ("Bắt đầu giải quyết", "Start processing"),
    "action.approved": ("Đồng ý (giải quyết xong)", "Approve"),
    "action.rejected": ("Không đồng ý", "Reject"),
    "action.result_returned": ("Trả kết quả", "Return the result"),
    "action.withdrawn": ("Công dân rút hồ sơ", "Withdrawn by citizen"),
    "action.stopped": ("Dừng giải quyết (mẫu 05)", "Stop processing (form 05)"),
    "channel.counter": ("Tại Trung tâm Phục vụ hành chính công", "At the centre's counter"),
    "channel.village_visit": ("Lưu động tại thôn, bản", "Village visit"),
    "channel.online": ("Trực tuyến", "Online"),
    "channel.post": ("Bưu chính công ích", "By post"),
    "feedback_kind.report": ("Phản ánh", "Report"),
    "feedback_kind.recommendation": ("Kiến nghị", "Recommendation"),
    "feedback_kind.complaint": ("Khiếu nại", "Complaint"),
    "feedback_kind.praise": ("Khen ngợi", "Praise"),
    "feedback_status.new": ("Mới tiếp nhận", "New"),
    "feedback_status.in_handling": ("Đang xử lý", "In handling"),
    "feedback_status.forwarded": ("Đã chuyển cơ quan khác", "Forwarded"),
    "feedback_status.answered": ("Đã trả lời", "Answered"),
    "feedback_status.closed": ("Đã kết thúc", "Closed"),
    "event.received": ("Tiếp nhận hồ sơ", "Dossier received"),
    "event.status_changed": ("Chuyển trạng thái", "Status changed"),
    "event.note": ("Ghi chú", "Note"),
    "event.apology": ("Thư xin lỗi, hẹn lại", "Apology, new date"),
    "event.corrected": ("Sửa thông tin", "Details corrected"),
    "event.handed_over": ("Bàn giao cho xã giải quyết", "Handed over for settling"),
    "event.official_code": ("Ghi mã hồ sơ của tỉnh", "Official dossier code recorded"),
    "collection.dossier": ("Hồ sơ", "Dossier"),
    "collection.dossier_event": ("Diễn biến hồ sơ", "Dossier event"),
    "collection.dossier_apology": ("Thư xin lỗi", "Apology"),
    "collection.attachment": ("Ảnh giấy tờ", "Photo"),
    "collection.feedback": ("Phản ánh, kiến nghị", "Feedback"),
    "collection.survey_response": ("Phiếu khảo sát", "Survey response"),
    "collection.sync_conflict": ("Xung đột", "Conflict"),
    "field.applicant_name": ("Họ tên người nộp", "Applicant's name"),
    "field.applicant_cccd": ("Số CCCD", "Citizen ID"),
    "field.applicant_dob": ("Ngày sinh", "Date of birth"),
    "field.applicant_phone": ("Số điện thoại", "Phone"),
    "field.applicant_address": ("Địa chỉ", "Address"),
    "field.village_id": ("Thôn, bản", "Village"),
    "field.note": ("Ghi chú", "Note"),
    "field.status": ("Trạng thái", "Status"),
    "field.documents": ("Giấy tờ", "Papers"),
    "field.content": ("Nội dung", "Content"),
    "field.photos": ("Ảnh giấy tờ", "Photos of papers"),
    "field.parties": ("Các bên", "Parties"),
    "field.facts": ("Thông tin hồ sơ", "Dossier facts"),
    "field.received_at": ("Thời điểm tiếp nhận", "Received at"),
    "field.due_date": ("Ngày hẹn trả", "Due date"),
    "field.channel": ("Hình thức nộp", "Channel"),
    "field.handler_id": ("Cán bộ xử lý", "Handling officer"),
    "field.result_returned_at": ("Thời điểm trả kết quả", "Result returned at"),
    "field.kind": ("Loại", "Kind"),
    "field.subject": ("Nội dung liên quan", "Subject"),
    "field.anonymous": ("Ẩn danh", "Anonymous"),
    "field.assignee_id": ("Cán bộ được giao", "Assigned officer"),
    "field.forwarded_to": ("Chuyển đến", "Forwarded to"),
    "field.answered_at": ("Thời điểm trả lời", "Answered at"),
    "field.public": ("Công khai", "Public"),
    "field.response": ("Nội dung trả lời", "Response"),
    "field.citizen_name": ("Họ tên người phản ánh", "Citizen's name"),
    "field.citizen_phone": ("Số điện thoại người phản ánh", "Citizen's phone"),
    # -- intake ---------------------------------------------------------------------------------
    "intake.title": ("Tiếp nhận hồ sơ", "Receive a dossier"),
    "intake.step": ("Bước {number}/{total}: {name}", "Step {number}/{total}: {name}"),
    "intake.step.facts": ("Thông tin hồ sơ", "Dossier facts"),
    "intake.party_optional": ("nếu có", "if any"),
    "intake.parties_heading": ("Các bên và thông tin hồ sơ", "Parties and facts"),
    "intake.date_future": ("Ngày ở tương lai", "Date in the future"),
    "intake.date_hint": ("ngày/tháng/năm", "dd/mm/yyyy"),
    "intake.copy_applicant": ("Chép từ người nộp", "Copy from the applicant"),
    "intake.step.procedure": ("Chọn thủ tục", "Procedure"),
    "intake.step.applicant": ("Người nộp hồ sơ", "Applicant"),
    "intake.step.settling": ("Xã giải quyết, nơi trả kết quả", "Settling commune, result"),
    "intake.settling_intro": (
        "Thủ tục thuộc danh mục tiếp nhận không phụ thuộc địa giới hành chính: công dân nộp "
        "tại xã nào trong tỉnh cũng được. Chọn xã có thẩm quyền giải quyết; hồ sơ và ảnh "
        "giấy tờ được chuyển cho xã đó khi đồng bộ.",
        "This procedure is on the province's list: citizens may file it at any commune of "
        "the province. Choose the commune competent to settle it; the dossier and its "
        "photos go to that commune when the tablet syncs.",
    ),
    "intake.settling": ("Xã giải quyết", "Settling commune"),
    "intake.own_commune": ("{name} (xã tiếp nhận)", "{name} (this commune)"),
    "intake.return_to": ("Nơi trả kết quả", "Result returned at"),
    "intake.return_here": ("Tại xã tiếp nhận", "Here, where it was received"),
    "intake.return_there": ("Tại xã giải quyết", "At the settling commune"),
    "intake.step.documents": ("Giấy tờ và ảnh", "Papers and photos"),
    "intake.step.review": ("Kiểm tra và lưu", "Check and save"),
    "intake.search": ("Tìm thủ tục theo tên hoặc mã", "Search procedures by name or code"),
    "intake.no_catalog": (
        "Chưa có danh mục thủ tục trên máy. Hãy đồng bộ khi có mạng.",
        "No procedure catalog on the tablet yet. Sync when there is a connection.",
    ),
    "intake.days": ("{days} ngày làm việc", "{days} working days"),
    "intake.calendar_days": ("{days} ngày", "{days} days"),
    "intake.verification": (
        "Cần xác minh (thêm {days} ngày làm việc, hẹn trả {date})",
        "Verification needed ({days} more working days, due {date})",
    ),
    "intake.same_day": ("Trả trong ngày", "Same day"),
    "intake.choose_procedure": ("Hãy chọn một thủ tục", "Choose a procedure"),
    "intake.chosen": ("Thủ tục: {name}", "Procedure: {name}"),
    "intake.name": ("Họ và tên người nộp *", "Applicant's full name *"),
    "intake.cccd": ("Số CCCD (12 chữ số)", "Citizen ID (12 digits)"),
    "intake.dob": ("Ngày sinh (ngày/tháng/năm)", "Date of birth (dd/mm/yyyy)"),
    "intake.phone": ("Số điện thoại", "Phone"),
    "intake.address": ("Địa chỉ", "Address"),
    "intake.village": ("Thôn, bản", "Village"),
    "intake.channel": ("Hình thức nộp", "Channel"),
    "intake.cccd_birth": (
        "Số CCCD không khớp năm sinh; kiểm tra lại",
        "The citizen ID does not match the year of birth; check it",
    ),
    "intake.dob_future": ("Ngày sinh ở tương lai", "Date of birth in the future"),
    "intake.documents": ("Giấy tờ đã nhận (chạm để đánh dấu)", "Papers received (tap to tick)"),
    "intake.documents_short": ("Giấy tờ đã nhận", "Papers received"),
    "intake.procedure": ("Thủ tục", "Procedure"),
    "intake.doc_required": ("bắt buộc", "required"),
    "intake.no_documents": ("Thủ tục này không yêu cầu giấy tờ", "No papers required"),
    "intake.photos": ("Ảnh giấy tờ: {count}", "Photos of papers: {count}"),
    "intake.add_photo": ("Chụp / chọn ảnh", "Take / choose a photo"),
    "intake.take_photo": ("Chụp ảnh giấy tờ", "Take a photo"),
    "intake.pick_photo": ("Chọn ảnh có sẵn", "Choose a saved photo"),
    "files.title": ("Chọn ảnh giấy tờ", "Choose a photo of the papers"),
    "files.up": ("Lên thư mục trên", "Up one folder"),
    "files.home": ("Thư mục chính", "Home"),
    "files.pictures": ("Ảnh", "Pictures"),
    "files.downloads": ("Tải về", "Downloads"),
    "files.folder": ("Thư mục", "Folder"),
    "files.empty": (
        "Không có ảnh (JPG, PNG, WEBP) trong thư mục này",
        "No photos (JPG, PNG, WEBP) in this folder",
    ),
    "files.unreadable": (
        "Không mở được thư mục này ({error})",
        "Cannot open this folder ({error})",
    ),
    "files.choose": ("Chọn ảnh này", "Use this photo"),
    "files.none_selected": ("Chạm vào một ảnh để xem trước", "Tap a photo to preview it"),
    "intake.photo_missing": ("Không đọc được ảnh {name}", "Cannot read the photo {name}"),
    "intake.remove_photo": ("Bỏ ảnh", "Remove"),
    "intake.due": ("Ngày hẹn trả kết quả: {date}", "Result due on: {date}"),
    "intake.due_at": (
        "Ngày hẹn trả kết quả: {time}, ngày {date}",
        "Result due: {time} on {date}",
    ),
    "intake.due_unknown": ("Thủ tục chưa có thời hạn giải quyết", "No statutory time set"),
    "intake.save": ("Lưu và cấp giấy tiếp nhận", "Save and issue the receipt"),
    "intake.missing_docs": (
        "Còn thiếu {count} giấy tờ bắt buộc",
        "{count} required papers missing",
    ),
    "receipt.title": ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Receipt and appointment"),
    "receipt.number": ("Số biên nhận", "Receipt number"),
    "receipt.due": ("Ngày hẹn trả kết quả", "Result due on"),
    "receipt.scan": (
        "Công dân quét mã để tra cứu tình trạng hồ sơ:",
        "The citizen scans the code to follow the dossier:",
    ),
    "receipt.no_qr": (
        "Không tạo được mã QR (thiếu gói qrcode); ghi địa chỉ tra cứu cho công dân.",
        "No QR code (the qrcode package is missing); write the address down for the citizen.",
    ),
    "receipt.another": ("Tiếp nhận hồ sơ khác", "Receive another dossier"),
    "receipt.open": ("Xem hồ sơ", "Open the dossier"),
    # -- PDF slips --------------------------------------------------------------------------------
    "slip.export": ("Xuất phiếu 01 (PDF)", "Export receipt (PDF)"),
    "paper.open": ("Phiếu cho công dân…", "Paper for the citizen…"),
    "paper.title": ("Phiếu 01 · {number}", "Receipt · {number}"),
    "paper.loading": ("Đang vẽ phiếu…", "Drawing the slip…"),
    "paper.share": ("Chia sẻ", "Share"),
    "paper.print": ("In phiếu", "Print"),
    "paper.thermal": ("In biên nhận (máy in nhiệt)", "Thermal receipt"),
    "paper.close": ("Đóng", "Close"),
    "paper.shared": ("Đã chia sẻ: {where}", "Shared: {where}"),
    "paper.printed": ("Đã gửi in: {printer}", "Sent to {printer}"),
    "paper.kept_for_later": (
        "Chưa in được ({reason}); đã thêm vào danh sách in sau",
        "Not printed ({reason}); kept in the print-later list",
    ),
    "paper.later_count": ("Chờ in: {count}", "To print: {count}"),
    "paper.no_preview": ("Không xem trước được (thiếu {what})", "No preview (missing {what})"),
    "paper.no_thermal": (
        "Không tạo được biên nhận nhiệt (thiếu {what})",
        "Cannot make the thermal receipt (missing {what})",
    ),
    "slip.exporting": ("Đang tạo phiếu 01…", "Making the receipt…"),
    "slip.saved": ("Đã lưu phiếu 01: {path}", "Receipt saved: {path}"),
    "slip.no_procedure": (
        "Thủ tục của hồ sơ chưa có trên máy; hãy đồng bộ danh mục",
        "The dossier's procedure is not on this tablet; sync the catalog first",
    ),
    "slip.no_due_date": (
        "Hồ sơ chưa có ngày hẹn trả kết quả",
        "The dossier has no result due date yet",
    ),
    "slip.no_reportlab": (
        "Không tạo được PDF: máy thiếu gói reportlab",
        "Cannot make the PDF: the reportlab package is missing",
    ),
    "slip.no_fonts": (
        "Không tạo được PDF: máy thiếu phông chữ DejaVu Serif",
        "Cannot make the PDF: the DejaVu Serif fonts are missing",
    ),
    "slip.write_failed": ("Không ghi được tệp PDF: {error}", "Could not write the PDF: {error}"),
    "slip.export_stop": ("Xuất thông báo dừng (mẫu 05)", "Export stop notice (form 05)"),
    "slip.not_stopped": (
        "Hồ sơ không dừng giải quyết nên không có thông báo mẫu 05",
        "The dossier was not stopped: there is no form 05",
    ),
    # -- dossier detail -------------------------------------------------------------------------
    "dossier.title": ("Hồ sơ {receipt}", "Dossier {receipt}"),
    "dossier.not_found": ("Không tìm thấy hồ sơ", "Dossier not found"),
    "dossier.applicant": ("Người nộp: {name}", "Applicant: {name}"),
    "dossier.corrected_fields": ("Đã sửa: {fields}", "Corrected: {fields}"),
    "dossier.correct": ("Sửa thông tin", "Correct details"),
    "dossier.correct_title": (
        "Sửa thông tin người nộp và các bên",
        "Correct the applicant and parties",
    ),
    "dossier.correct_save": ("Lưu thay đổi", "Save changes"),
    "dossier.correct_none": ("Không có gì thay đổi", "Nothing changed"),
    "dossier.correct_closed": (
        "Đã trả kết quả: không sửa được thông tin nữa",
        "The result has been returned: details can no longer be corrected",
    ),
    "dossier.procedure": ("Thủ tục: {name}", "Procedure: {name}"),
    "dossier.status": ("Trạng thái: {status}", "Status: {status}"),
    "dossier.received": ("Tiếp nhận lúc {time}", "Received at {time}"),
    "dossier.due": ("Hẹn trả: {date}", "Due: {date}"),
    "dossier.overdue": ("QUÁ HẠN {days} ngày làm việc", "OVERDUE by {days} working days"),
    "dossier.record_verification": (
        "Ghi nhận cần xác minh",
        "Record that verification is needed",
    ),
    "dossier.verification_due": (
        "Cần xác minh: hẹn trả {date}",
        "Verification needed: due {date}",
    ),
    "dossier.verification_if": (
        "Nếu cần xác minh: hẹn trả {date}",
        "If verification is needed: due {date}",
    ),
    "dossier.new_due": ("Đã hẹn lại: {date}", "New appointment: {date}"),
    "dossier.returned": ("Đã trả kết quả lúc {time}", "Result returned at {time}"),
    "dossier.centres": (
        "Tiếp nhận: {receiving} · Giải quyết: {settling} · Trả kết quả: {returning}",
        "Received: {receiving} · Settled: {settling} · Result at: {returning}",
    ),
    "dossier.settled_elsewhere": (
        "{name} giải quyết hồ sơ này; xã tiếp nhận theo dõi, ghi chú và bàn giao",
        "{name} settles this dossier; the receiving commune follows, notes and hands over",
    ),
    "dossier.hand_over": ("Bàn giao cho xã khác", "Hand over to another commune"),
    "dossier.hand_over_title": (
        "Bàn giao hồ sơ cho xã có thẩm quyền giải quyết",
        "Hand the dossier over to the competent commune",
    ),
    "dossier.hand_over_to": ("Xã nhận bàn giao", "Commune to hand over to"),
    "dossier.hand_over_reason": ("Lý do bàn giao", "Reason for the handover"),
    "dossier.hand_over_reason_again": (
        "Lý do bàn giao (bắt buộc: hồ sơ đã được bàn giao trước đó)",
        "Reason (required: the dossier was handed over before)",
    ),
    "dossier.hand_over_choose": ("Hãy chọn xã nhận bàn giao", "Choose the commune"),
    "dossier.handed_over": ("Đã bàn giao cho {name}", "Handed over to {name}"),
    "dossier.handover_route": ("Từ {origin} đến {target}", "From {origin} to {target}"),
    "dossier.handover_reason": ("Lý do: {reason}", "Reason: {reason}"),
    "dossier.photos": ("Ảnh giấy tờ: {count}", "Photos: {count}"),
    "dossier.documents": ("Giấy tờ: {provided}/{total}", "Papers: {provided}/{total}"),
    "dossier.timeline": ("Diễn biến", "Timeline"),
    "dossier.actions": ("Xử lý hồ sơ", "Actions"),
    "dossier.no_actions": ("Hồ sơ đã kết thúc", "The dossier is closed"),
    "dossier.apology": ("Xin lỗi và hẹn lại", "Apologise, new date"),
    "dossier.add_note": ("Thêm ghi chú", "Add a note"),
    "dossier.note": ("Ghi chú / lý do", "Note / reason"),
    "dossier.reason": ("Lý do chậm trễ", "Reason for the delay"),
    # Each step that needs a reason asks for its own (not "the delay"'s).
    "dossier.reason.needs_supplement": (
        "Giấy tờ cần bổ sung và lý do",
        "Papers to add, and why",
    ),
    "dossier.reason.refused": ("Lý do từ chối tiếp nhận", "Why the dossier is refused"),
    "dossier.reason.rejected": ("Lý do không đồng ý", "Why the request is rejected"),
    "dossier.new_date": ("Ngày hẹn mới (ngày/tháng/năm)", "New date (dd/mm/yyyy)"),
    "dossier.reason_required": (
        "Cần ghi lý do cho thao tác này",
        "This action needs a reason",
    ),
    "dossier.new_date_past": (
        "Ngày hẹn mới phải sau hôm nay",
        "The new date must be after today",
    ),
    # Roboto (the app's font) has no "→": use the guillemet, which every font has.
    "dossier.transition_from_to": ("{from_status} » {to_status}", "{from_status} » {to_status}"),
    "dossier.done": ("Đã lưu: {status}", "Saved: {status}"),
    "photo.loading": ("Đang tải ảnh…", "Loading photo…"),
    "photo.offline": (
        "Chưa tải được ảnh — sẽ thử lại khi có mạng",
        "Photo not downloaded yet — will try again when online",
    ),
    "photo.damaged": (
        "Ảnh nhận được bị sai nên đã bỏ",
        "The photo received was wrong and was discarded",
    ),
    "photo.on_its_way": ("Ảnh đang được gửi", "Photo on its way"),
    "photo.sending": ("{count} ảnh đang được gửi", "{count} on the way to the server"),
    "photo.refused": ("Máy chủ không gửi ảnh này", "The server did not send this photo"),
    "photo.failed": ("Chưa tải được ảnh", "Photo not downloaded"),
    "photo.tap_to_retry": ("Chạm để thử lại", "Tap to try again"),
    "photo.problem": ("Không tải được ảnh: {error}", "Photo not downloaded: {error}"),
    # -- feedback -------------------------------------------------------------------------------
    "feedback.title": ("Phản ánh, kiến nghị", "Feedback and complaints"),
    "feedback.new": ("Ghi nhận phản ánh mới", "Record new feedback"),
    "feedback.kind": ("Loại", "Kind"),
    "feedback.content": ("Nội dung *", "Content *"),
    "feedback.anonymous": ("Người phản ánh giấu tên", "Anonymous"),
    "feedback.name": ("Họ tên người phản ánh", "Citizen's name"),
    "feedback.phone": ("Số điện thoại", "Phone"),
    "feedback.dossier": ("Số biên nhận hồ sơ liên quan (nếu có)", "Related receipt no. (if any)"),
    "feedback.unknown_dossier": (
        "Không có hồ sơ số {receipt} trên máy",
        "No dossier {receipt} on this tablet",
    ),
    "feedback.save": ("Lưu phản ánh", "Save the feedback"),
    "feedback.saved": ("Đã ghi nhận. Hạn trả lời: {date}", "Recorded. Answer by: {date}"),
    "feedback.no_due": ("Không cần trả lời", "No answer due"),
    "feedback.list": ("Danh sách phản ánh", "Feedback list"),
    "feedback.due": ("Hạn trả lời: {date}", "Answer by: {date}"),
    "feedback.late": ("Quá hạn trả lời", "Answer overdue"),
    "feedback.answer": ("Trả lời", "Answer"),
    "feedback.response": ("Nội dung trả lời", "Response"),
    "feedback.answered": ("Đã trả lời lúc {time}", "Answered at {time}"),
    "feedback.send_answer": ("Lưu câu trả lời", "Save the answer"),
    "feedback.anonymous_person": ("Giấu tên", "Anonymous"),
    "feedback.select": (
        "Chọn một phản ánh trong danh sách để xem và trả lời",
        "Pick feedback from the list to read and answer it",
    ),
    # -- survey ---------------------------------------------------------------------------------
    "survey.title": ("Khảo sát mức độ hài lòng tại thôn", "Village satisfaction survey"),
    "survey.form": ("Phiếu khảo sát", "Survey form"),
    "survey.village": ("Thôn, bản đang khảo sát", "Village surveyed"),
    "survey.location": ("Vị trí: {where}", "Location: {where}"),
    "survey.no_location": ("không có (máy không có GPS)", "none (no GPS on this device)"),
    "survey.no_forms": (
        "Chưa có phiếu khảo sát nào được ban hành. Hãy đồng bộ khi có mạng.",
        "No published survey form yet. Sync when there is a connection.",
    ),
    "survey.start": ("Bắt đầu khảo sát", "Start the survey"),
    "survey.respondent": ("Người trả lời số {number}", "Respondent no. {number}"),
    "survey.count": ("Đã thu {count} phiếu trong buổi này", "{count} responses this session"),
    "survey.save_next": ("Lưu và sang người tiếp theo", "Save, next respondent"),
    "survey.finish": ("Kết thúc khảo sát", "Finish the survey"),
    "survey.missing": (
        "Còn {count} câu bắt buộc chưa trả lời",
        "{count} required questions unanswered",
    ),
    "survey.saved": ("Đã lưu phiếu số {number}", "Response no. {number} saved"),
    "survey.profile": ("Thông tin người trả lời (không bắt buộc)", "Respondent (optional)"),
    "survey.age": ("Độ tuổi", "Age"),
    "survey.gender": ("Giới tính", "Gender"),
    "survey.ethnic": ("Dân tộc", "Ethnic group"),
    "gender.male": ("Nam", "Male"),
    "gender.female": ("Nữ", "Female"),
    "likert.1": ("Rất không hài lòng", "Very dissatisfied"),
    "likert.5": ("Rất hài lòng", "Very satisfied"),
    "survey.number": ("Nhập số", "Type a number"),
    "survey.text": ("Ghi ý kiến (không bắt buộc)", "Comments (optional)"),
    "survey.choose_village": (
        "Chọn thôn, bản đang khảo sát",
        "Choose the village being surveyed",
    ),
    "survey.header": ("{form} · {village}", "{form} · {village}"),
    "survey.finish_confirm": (
        "Người đang trả lời chưa được lưu. Bỏ các câu trả lời này?",
        "This respondent is not saved. Drop these answers?",
    ),
    "survey.finish_drop": ("Bỏ và kết thúc", "Drop them and finish"),
    # -- drafts (work being typed, kept encrypted) ----------------------------------------------
    "draft.offer": ("Có việc đang làm dở", "Unfinished work"),
    "draft.offer_line": ("{kind}: {summary} (lưu lúc {time})", "{kind}: {summary} (saved {time})"),
    "draft.continue": ("Tiếp tục làm", "Continue"),
    "draft.later": ("Để sau", "Later"),
    "draft.restored": (
        "Đã mở lại phần đang nhập dở (lưu lúc {time})",
        "Unfinished work reopened (saved {time})",
    ),
    "draft.kind.intake": ("Tiếp nhận hồ sơ", "Intake"),
    "draft.kind.feedback": ("Phản ánh, kiến nghị", "Feedback"),
    "draft.kind.survey": ("Khảo sát", "Survey"),
    "intake.photo_working": ("Đang xử lý ảnh…", "Preparing the photo…"),
    "intake.photo_light": (
        "Ảnh {name}: {before} → {after}",
        "Photo {name}: {before} → {after}",
    ),
    # -- sync -----------------------------------------------------------------------------------
    "sync.title": ("Đồng bộ với máy chủ", "Sync with the server"),
    "sync.now": ("Đồng bộ ngay", "Sync now"),
    "sync.server": ("Máy chủ: {url}", "Server: {url}"),
    "sync.last": ("Lần đồng bộ thành công gần nhất: {time}", "Last successful sync: {time}"),
    "sync.never": ("chưa lần nào", "never"),
    "sync.pending": (
        "Thay đổi chưa gửi lên máy chủ: {count}",
        "Changes not yet on the server: {count}",
    ),
    "sync.phase.photos": ("Đang gửi ảnh", "Sending photos"),
    "sync.phase.push": ("Đang gửi thay đổi", "Sending changes"),
    "sync.phase.pull": ("Đang nhận dữ liệu mới", "Receiving updates"),
    "sync.progress": ("{phase}: {done}/{total}", "{phase}: {done}/{total}"),
    "sync.idle": ("Sẵn sàng", "Ready"),
    "sync.ok": (
        "Xong lúc {time}: gửi {pushed}, nhận {pulled}, ảnh {photos}, xung đột {conflicts}, "
        "bị từ chối {rejected}",
        "Done at {time}: sent {pushed}, received {pulled}, photos {photos}, "
        "conflicts {conflicts}, refused {rejected}",
    ),
    "sync.failed": (
        "Chưa đồng bộ được ({error}). Dữ liệu vẫn an toàn trên máy; sẽ thử lại khi có mạng.",
        "Not synced ({error}). The data is safe on the tablet; it will retry when online.",
    ),
    "sync.busy": ("Đang đồng bộ, vui lòng chờ", "A sync is running, please wait"),
    "sync.rejected": ("Bản ghi bị máy chủ từ chối", "Records refused by the server"),
    "sync.no_rejected": ("Không có bản ghi bị từ chối", "No refused records"),
    "sync.dismiss": ("Bỏ qua", "Dismiss"),
    "sync.confirm_held": ("Xác nhận giữ nguyên", "Confirm as is"),
    "sync.confirmed_held": (
        "Đã xác nhận ngày; sẽ gửi lại ở lần đồng bộ tới",
        "Dates confirmed; they go out again at the next sync",
    ),
    "sync.conflicts": ("Xung đột cần người quyết định", "Conflicts for a person to decide"),
    "sync.conflicts_count": (
        "Xung đột cần người quyết định: {count}",
        "Conflicts for a person to decide: {count}",
    ),
    "conflict.this_tablet": ("máy này (số {number})", "this tablet (no. {number})"),
    "conflict.tablet": ("máy tính bảng số {number}", "tablet no. {number}"),
    "conflict.web": ("trên web", "on the web"),
    "conflict.unknown_device": ("máy không rõ", "unknown device"),
    "conflict.documents": ("{given}/{total} giấy tờ", "{given}/{total} papers"),
    "conflict.keep_all": ("Giữ giá trị bên này", "Keep this side"),
    "sync.no_conflicts": ("Không có xung đột", "No conflicts"),
    "sync.kept": ("Giá trị đang dùng", "Value in use"),
    "sync.lost": ("Giá trị bị thay thế", "Value replaced"),
    "sync.keep_this": ("Giữ giá trị này", "Keep this one"),
    "sync.cannot_overturn": (
        "Trạng thái hồ sơ không quay lại được",
        "A dossier status cannot go back",
    ),
    "sync.clock": ("Cảnh báo đồng hồ: {warning}", "Clock warning: {warning}"),
    "revoked.title": ("Máy tính bảng đã bị thu hồi", "This tablet has been revoked"),
    "revoked.body": (
        "Quản trị viên đã thu hồi quyền của máy này với máy chủ. Máy đã khóa chức năng "
        "làm việc.\n\n{count} thay đổi chưa gửi vẫn được giữ nguyên và mã hóa trên máy. "
        "Chúng sẽ được gửi lên khi quản trị viên cho phép lại máy.\n\n"
        "Không xóa ứng dụng và không cài lại: hãy mang máy đến quản trị viên của xã/tỉnh.",
        "An administrator has revoked this tablet's access to the server. Work on it is "
        "locked.\n\n{count} unsent changes are kept, encrypted, on the tablet. They will be "
        "sent once an administrator reinstates the device.\n\n"
        "Do not uninstall or reinstall the app: bring the tablet to your administrator.",
    ),
    "revoked.retry": ("Kiểm tra lại với máy chủ", "Check with the server again"),
    "revoked.still": ("Máy vẫn đang bị thu hồi", "The tablet is still revoked"),
    # -- settings -------------------------------------------------------------------------------
    "settings.title": ("Cài đặt", "Settings"),
    "settings.language": ("Ngôn ngữ", "Language"),
    "settings.font": ("Cỡ chữ", "Text size"),
    "settings.font.small": ("Nhỏ", "Small"),
    "settings.font.normal": ("Vừa", "Normal"),
    "settings.font.large": ("Lớn", "Large"),
    "settings.font.huge": ("Rất lớn", "Very large"),
    "settings.server": ("Địa chỉ máy chủ", "Server address"),
    "settings.server_saved": ("Đã lưu địa chỉ máy chủ", "Server address saved"),
    "settings.pin": ("Đổi mã PIN", "Change the PIN"),
    "settings.old_pin": ("Mã PIN hiện tại", "Current PIN"),
    "settings.new_pin": ("Mã PIN mới (6 chữ số)", "New PIN (6 digits)"),
    "settings.pin_changed": ("Đã đổi mã PIN", "PIN changed"),
    "settings.device": (
        "Máy số {device_no} · {commune} · cán bộ {officer} · phiên bản {version}",
        "Tablet no. {device_no} · {commune} · officer {officer} · version {version}",
    ),
}


class Translator:
    """The app's texts in the chosen language; listeners hear about switches."""

    def __init__(self, lang: str = "vi", strings: Mapping[str, tuple[str, str]] = STRINGS) -> None:
        self._strings = strings
        self._lang = lang if lang in LANGUAGES else "vi"
        self._listeners: list[Callable[[str], None]] = []

    @property
    def lang(self) -> str:
        return self._lang

    def set_language(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
        if lang == self._lang:
            return
        self._lang = lang
        for listener in list(self._listeners):
            listener(lang)

    def on_change(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def __call__(self, key: str, **values: Any) -> str:
        """The text for ``key`` (the key itself if unknown, so a gap shows, not crashes)."""
        pair = self._strings.get(key)
        if pair is None:
            return key
        text = pair[1] if self._lang == "en" else pair[0]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._strings

    def message(self, text: str) -> str:
        """A ``"Tiếng Việt (English)"`` message from the shared library, in our language."""
        return bilingual(text, self._lang)

    def pick(self, record: Mapping[str, Any] | None, stem: str) -> str:
        """``record[stem_vi]`` or ``record[stem_en]`` as the language asks, with fallback."""
        if not record:
            return ""
        first, second = (
            (f"{stem}_en", f"{stem}_vi")
            if self._lang == "en"
            else (
                f"{stem}_vi",
                f"{stem}_en",
            )
        )
        for key in (first, second, stem):
            value = record.get(key)
            if isinstance(value, str) and value:
                return value
        return ""

    def enum(self, prefix: str, value: Any) -> str:
        """The label of a domain value (``status.received``), or the raw value."""
        key = f"{prefix}.{value}"
        return self(key) if key in self._strings else str(value)
