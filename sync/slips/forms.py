"""Slips 01 to 06 of the one-stop mechanism, on A5 portrait.

Wording follows the forms of Annex I of Circular 03/2025/TT-VPCP (15 September 2025),
which guides Decree 118/2025/NĐ-CP (9 June 2025) on the one-stop mechanism; the dotted
fill-ins are replaced by the dossier's data. Forms 01 to 03 and 06 are headed by the
commune's Public Administrative Service Centre (Trung tâm Phục vụ hành chính công),
forms 04 and 05 by the People's Committee that handles the dossier and signs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from sync.checkcode import display_check_code
from sync.slips import fmt
from sync.slips.data import DossierSlipData, Office, TimelineRow
from sync.slips.layout import (
    A5_SLIP,
    Signer,
    Styles,
    build_pdf,
    field,
    heading,
    keep,
    make_table,
    numbered,
    qr_image,
    signatures,
    title,
)
from sync.slips.parties import parties_block
from sync.workdays import OFFICE_TZ, effective_receipt_day, working_days_between

TITLE_01 = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
TITLE_02 = "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"
TITLE_03 = "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"
TITLE_04 = "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"
TITLE_05 = "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"
TITLE_06 = "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"

APPLICANT = "NGƯỜI NỘP HỒ SƠ"
RECEIVER = "NGƯỜI TIẾP NHẬN HỒ SƠ"
GUIDE = "NGƯỜI HƯỚNG DẪN"


def _received_on(data: DossierSlipData) -> date:
    return fmt.local(data.received_at).date()


def _today() -> date:
    return datetime.now(OFFICE_TZ).date()


def _working_days(data: DossierSlipData) -> int:
    if data.working_days is not None:
        return data.working_days
    # A limit of N working days counts from the day after receipt (sync.workdays).
    if data.due_date <= effective_receipt_day(data.received_at):
        return 0
    return max(0, working_days_between(_received_on(data), data.due_date))


def _due_text(d: date) -> str:
    """Markup: 'ngày 20 tháng 3 năm 2026 (Thứ Sáu)', never broken over two lines."""
    return fmt.nobreak(f"{fmt.day_month_year(d)} ({fmt.weekday(d)})")


def _procedure(data: DossierSlipData) -> str:
    """Markup: the procedure's name in bold, then its code."""
    code = ""
    if data.procedure_code:
        code = " " + fmt.nobreak(f"(mã TTHC: {fmt.x(data.procedure_code)})")
    return f"<b>{fmt.x(data.procedure_name)}</b>{code}"


def codes(data: DossierSlipData) -> str:
    """Markup of the dossier's codes: the official code (Circular 03/2025/TT-VPCP) with
    the receipt number beside it once issued, else the receipt number, which stands as
    the dossier's code until then (PROTOCOL.md "Dossier code")."""
    receipt = f"<b>{fmt.x(data.receipt_number)}</b>"
    if not data.official_code:
        return f"Mã hồ sơ: {receipt}"
    return (
        f"Mã hồ sơ: <b>{fmt.x(data.official_code)}</b><br/>"
        f"Số biên nhận tại xã: {fmt.nobreak(receipt)}"
    )


def _contact_lines(styles: Styles, data: DossierSlipData) -> list[Flowable]:
    a = data.applicant
    phone = f"Số điện thoại: {fmt.x(a.phone) or '…………'}"
    if a.email:
        phone += f"&nbsp;&nbsp;&nbsp; Email: {fmt.x(a.email)}"
    return [field(styles, "Địa chỉ", a.address), Paragraph(phone, styles.body)]


def _identity_line(styles: Styles, data: DossierSlipData) -> Paragraph | None:
    a = data.applicant
    parts = []
    if a.cccd:
        parts.append(f"Số CCCD: {fmt.x(a.cccd)}")
    if a.dob:
        parts.append(
            f"ngày sinh: {fmt.short_date(a.dob)}"
            if parts
            else f"Ngày sinh: {fmt.short_date(a.dob)}"
        )
    return Paragraph(";&nbsp;&nbsp; ".join(parts), styles.body) if parts else None


def _pdf(story: list[Flowable], form: str, name: str, data: DossierSlipData) -> bytes:
    def footer(number: int, total: int) -> str:
        if total == 1:
            return ""
        return f"{form} - Mã hồ sơ {data.receipt_number} - Trang {number}/{total}"

    return build_pdf(
        A5_SLIP,
        story,
        title=f"{form} - {name} - {data.receipt_number}",
        subject=f"{name}: {data.applicant.name}",
        footer=footer,
    )


# --- Mẫu 01 -------------------------------------------------------------------------------


def receipt_slip(office: Office, data: DossierSlipData, *, issued_on: date | None = None) -> bytes:
    """Mẫu số 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả, with the status QR code."""
    s = Styles(A5_SLIP)
    width = A5_SLIP.width
    a = data.applicant
    story: list[Flowable] = heading(office, s, "Mẫu số 01", issued_on or _received_on(data))
    story += title(s, TITLE_01, codes(data))

    who: list[Flowable] = [
        Paragraph(f"{fmt.x(office.desk)} tiếp nhận hồ sơ của: <b>{fmt.x(a.name)}</b>", s.body),
    ]
    identity = _identity_line(s, data)
    if identity is not None:
        who.append(identity)
    who += _contact_lines(s, data)
    who.append(Paragraph(f"Nội dung yêu cầu giải quyết: {_procedure(data)}", s.body))
    if data.settling_centre:
        who.append(
            Paragraph(
                f"Hồ sơ được chuyển đến <b>{fmt.x(data.settling_centre)}</b> "
                "để giải quyết theo thẩm quyền.",
                s.body,
            )
        )

    qr_size = 24 * mm
    qr_w = 92.0
    qr_block: list[Flowable] = [
        qr_image(data.status_url, qr_size),
        Spacer(1, 2),
        Paragraph(f"<b>{fmt.x(data.receipt_number)}</b>", s.cell_head),
        *(
            [Paragraph(f"Mã kiểm tra: <b>{display_check_code(data.check_code)}</b>", s.cell_center)]
            if data.check_code
            else []
        ),
        Paragraph("<i>Quét mã để tra cứu<br/>tình trạng hồ sơ</i>", s.cell_center),
    ]
    top = make_table(
        [[who, qr_block]],
        [width - qr_w, qr_w],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
            ("RIGHTPADDING", (0, 0), (0, 0), 6),
            ("LEFTPADDING", (1, 0), (1, 0), 4),
            ("RIGHTPADDING", (1, 0), (1, 0), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("ALIGN", (1, 0), (1, 0), "CENTER"),
        ],
    )
    story.append(top)
    story += parties_block(s, data)

    provided = [name for name, ok in data.documents if ok]
    missing = [name for name, ok in data.documents if not ok]
    story.append(Paragraph("1. Thành phần hồ sơ nộp gồm:", s.body))
    if provided:
        story += numbered(s, [fmt.x(name) for name in provided])
    else:
        story.append(Paragraph("<i>(không có giấy tờ kèm theo)</i>", s.item))
    if missing:
        story.append(
            Paragraph(
                "<i>Giấy tờ chưa nộp:</i> " + "; ".join(fmt.x(name) for name in missing) + ".",
                s.item,
            )
        )
    days = _working_days(data)
    if days == 0:
        limit = "trả kết quả trong ngày"
    elif data.time_unit == "calendar_days":
        limit = f"{fmt.two_digits(days)} ngày"
    else:
        limit = f"{fmt.two_digits(days)} ngày làm việc"
    if data.verification_due_date is not None and data.extension_days:
        total = days + data.extension_days
        limit += f"; trường hợp cần xác minh: không quá {fmt.two_digits(total)} ngày làm việc"
    due = _due_text(data.appointment_date)
    if data.appointment_hour is not None:
        due = fmt.nobreak(f"{data.appointment_hour:%H} giờ {data.appointment_hour:%M} phút, ") + due
    if data.verification_needed:
        due += " (hồ sơ cần xác minh)"
    place = data.result_place or office.desk
    story += [
        Paragraph(f"2. Số lượng hồ sơ: {fmt.two_digits(data.copies)} (bộ)", s.body),
        Paragraph(f"3. Thời gian giải quyết hồ sơ theo quy định là: {limit}", s.body),
        Paragraph(f"4. Thời gian nhận hồ sơ: {fmt.moment_text(data.received_at)}", s.body),
        Paragraph(
            f"5. Thời gian trả kết quả giải quyết hồ sơ: <b>{due}</b>",
            s.body,
        ),
        *(
            [
                Paragraph(
                    "&nbsp;&nbsp;&nbsp;Trường hợp cần xác minh, thời gian trả kết quả: "
                    f"<b>{_due_text(data.verification_due_date)}</b>",
                    s.body,
                )
            ]
            if data.verification_due_date is not None and not data.verification_needed
            else []
        ),
        Paragraph(f"6. Đăng ký nhận kết quả tại: {fmt.x(place)}", s.body),
        Paragraph(f"7. Hình thức nộp hồ sơ: {fmt.x(data.channel_label)}", s.body),
        Paragraph(f"8. Phí, lệ phí: {fmt.x(fmt.fee_text(data.fee_vnd))}", s.body),
        Spacer(1, 2),
        Paragraph(
            "Ông/bà vui lòng mang theo Giấy này khi đến nhận kết quả. Tra cứu tình trạng "
            f"hồ sơ bằng mã QR hoặc tại: {fmt.x(data.status_url)}",
            s.note,
        ),
        Spacer(1, 3 if data.parties else 6),
    ]
    # The parties block takes lines: a shorter signing space keeps the slip on one page.
    signers = [Signer(APPLICANT, a.name), Signer(RECEIVER, data.officer_name)]
    story.append(keep(signatures(s, signers, space=28 if data.parties else 40)))
    return _pdf(story, "Mẫu số 01", TITLE_01.capitalize(), data)


# --- Mẫu 02 -------------------------------------------------------------------------------


def supplement_slip(
    office: Office,
    data: DossierSlipData,
    missing: Sequence[str],
    reason: str,
    *,
    issued_on: date | None = None,
) -> bytes:
    """Mẫu số 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."""
    s = Styles(A5_SLIP)
    a = data.applicant
    story: list[Flowable] = heading(office, s, "Mẫu số 02", issued_on or _received_on(data))
    story += title(s, TITLE_02, codes(data))
    story.append(Paragraph(f"Hồ sơ của: <b>{fmt.x(a.name)}</b>", s.body))
    story.append(Paragraph(f"Nội dung yêu cầu giải quyết: {_procedure(data)}", s.body))
    story += _contact_lines(s, data)
    story.append(Paragraph(f"Ngày tiếp nhận hồ sơ: {fmt.moment_text(data.received_at)}", s.body))
    story.append(Paragraph("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", s.body))
    story += numbered(s, [fmt.x(item) for item in missing] or ["…………………………"])
    story.append(Paragraph(f"Lý do: {fmt.x(reason)}", s.justify))
    contact = f"<b>{fmt.nobreak(fmt.x(data.officer_name))}</b>"
    if office.phone:
        contact += f", số điện thoại <b>{fmt.nobreak(fmt.x(office.phone))}</b>"
    story.append(
        Paragraph(
            "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với "
            f"{contact} tại {fmt.x(office.desk)} để được hướng dẫn./.",
            s.justify,
        )
    )
    story.append(Spacer(1, 8))
    story.append(keep(signatures(s, [Signer(APPLICANT, a.name), Signer(GUIDE, data.officer_name)])))
    return _pdf(story, "Mẫu số 02", TITLE_02.capitalize(), data)


# --- Mẫu 03 -------------------------------------------------------------------------------


def refusal_slip(
    office: Office, data: DossierSlipData, reason: str, *, issued_on: date | None = None
) -> bytes:
    """Mẫu số 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ."""
    s = Styles(A5_SLIP)
    a = data.applicant
    story: list[Flowable] = heading(office, s, "Mẫu số 03", issued_on or _received_on(data))
    story += title(s, TITLE_03, codes(data))
    story.append(
        Paragraph(f"{fmt.x(office.desk)} tiếp nhận hồ sơ của: <b>{fmt.x(a.name)}</b>", s.body)
    )
    story.append(Paragraph(f"Nội dung yêu cầu giải quyết: {_procedure(data)}", s.body))
    story += _contact_lines(s, data)
    story.append(
        Paragraph(
            "Qua nghiên cứu, xem xét hồ sơ và đối chiếu với các quy định hiện hành, "
            f"{fmt.x(office.desk)} từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể "
            "như sau:",
            s.justify,
        )
    )
    story.append(Paragraph(fmt.x(reason), s.quote))
    story.append(Paragraph("Xin thông báo để ông/bà được biết và thực hiện./.", s.body))
    story.append(Spacer(1, 8))
    story.append(
        keep(signatures(s, [Signer(APPLICANT, a.name), Signer(RECEIVER, data.officer_name)]))
    )
    return _pdf(story, "Mẫu số 03", TITLE_03.capitalize(), data)


# --- Mẫu 04 -------------------------------------------------------------------------------


def _signer_block(styles: Styles, signer_title: str, signer_name: str, desk: str) -> Flowable:
    recipients = Paragraph(
        f"<b><i>Nơi nhận:</i></b><br/>- Như trên;<br/>- {fmt.x(desk)};<br/>- Lưu: VT.",
        styles.note,
    )
    return signatures(
        styles,
        [
            [recipients],
            Signer(
                "<br/>".join(fmt.x(line) for line in signer_title.upper().splitlines()),
                signer_name,
                "(Ký, ghi rõ họ tên và đóng dấu)",
            ),
        ],
    )


def _letter_opening(
    s: Styles,
    office: Office,
    data: DossierSlipData,
    form_no: str,
    form_title: str,
    issued_on: date | None,
) -> list[Flowable]:
    """The committee's letter to the citizen (forms 04, 05) up to the appointed date."""
    story: list[Flowable] = heading(
        office, s, form_no, issued_on or _today(), by_committee=True, number="……/……"
    )
    story += title(s, form_title, codes(data))
    story.append(Paragraph(f"Kính gửi: Ông/Bà <b>{fmt.x(data.applicant.name)}</b>", s.body))
    story += _contact_lines(s, data)
    story.append(
        Paragraph(
            f"{fmt.x(fmt.day_month_year(_received_on(data))).capitalize()}, "
            f"{fmt.x(office.desk)} đã tiếp nhận hồ sơ của Ông/Bà.",
            s.justify,
        )
    )
    story.append(Paragraph(f"Nội dung yêu cầu giải quyết: {_procedure(data)}", s.body))
    story.append(
        Paragraph(f"Thời hạn trả kết quả đã hẹn: {_due_text(data.appointment_date)}", s.body)
    )
    return story


def apology_slip(
    office: Office,
    data: DossierSlipData,
    reason: str,
    new_due_date: date,
    signer_name: str,
    signer_title: str,
    *,
    issued_on: date | None = None,
) -> bytes:
    """Mẫu số 04: Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết.

    Under Decree 118/2025/NĐ-CP the authority that will be late apologises in writing
    and asks the citizen to extend the time limit to ``new_due_date`` (form 04 of Annex
    I, Circular 03/2025/TT-VPCP; it replaced the apology with a new appointment of
    Circular 01/2018/TT-VPCP). ``signer_title`` is the heading of the signature, e.g.
    "CHỦ TỊCH" or "KT. CHỦ TỊCH\\nPHÓ CHỦ TỊCH" (a newline starts a second line).
    ``issued_on`` defaults to today in office time.
    """
    s = Styles(A5_SLIP)
    issuer = office.people_committee
    story = _letter_opening(s, office, data, "Mẫu số 04", TITLE_04, issued_on)
    story.append(
        Paragraph(
            f"Tuy nhiên đến nay, {fmt.x(issuer)} chưa giải quyết xong hồ sơ của Ông/Bà "
            "đúng thời hạn ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
            s.justify,
        )
    )
    story.append(Paragraph(f"Lý do: {fmt.x(reason)}", s.justify))
    story.append(
        Paragraph(
            f"{fmt.x(issuer)} xin lỗi Ông/Bà vì sự chậm trễ này và đề nghị Ông/Bà đồng ý "
            f"gia hạn thời gian giải quyết hồ sơ đến <b>{_due_text(new_due_date)}</b>.",
            s.body,
        )
    )
    story.append(
        Paragraph(
            f"{fmt.x(issuer)} sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà trong thời hạn "
            "được gia hạn. Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.",
            s.justify,
        )
    )
    story.append(Spacer(1, 6))
    story.append(keep(_signer_block(s, signer_title, signer_name, office.desk)))
    return _pdf(story, "Mẫu số 04", TITLE_04.capitalize(), data)


# --- Mẫu 05 -------------------------------------------------------------------------------


def stop_notice(
    office: Office,
    data: DossierSlipData,
    reason: str,
    signer_name: str,
    signer_title: str,
    *,
    issued_on: date | None = None,
) -> bytes:
    """Mẫu số 05: Thông báo dừng giải quyết hồ sơ (new in Circular 03/2025/TT-VPCP).

    The authority that handles the dossier stops processing it and tells the citizen
    why, in writing; the dossier's status becomes ``stopped``, which is final.
    ``signer_title`` as for :func:`apology_slip`; ``issued_on`` defaults to today.
    """
    s = Styles(A5_SLIP)
    issuer = office.people_committee
    story = _letter_opening(s, office, data, "Mẫu số 05", TITLE_05, issued_on)
    story.append(
        Paragraph(
            f"{fmt.x(issuer)} thông báo dừng giải quyết hồ sơ nêu trên của Ông/Bà với lý do "
            "cụ thể như sau:",
            s.justify,
        )
    )
    story.append(Paragraph(fmt.x(reason) or "…………………………", s.quote))
    story.append(
        Paragraph(
            f"Ông/Bà liên hệ {fmt.x(office.desk)} để nhận lại hồ sơ, giấy tờ đã nộp (nếu "
            "có) và được hướng dẫn."
            + (f" Số điện thoại: {fmt.nobreak(fmt.x(office.phone))}." if office.phone else ""),
            s.justify,
        )
    )
    story.append(Paragraph("Xin thông báo để Ông/Bà được biết./.", s.body))
    story.append(Spacer(1, 6))
    story.append(keep(_signer_block(s, signer_title, signer_name, office.desk)))
    return _pdf(story, "Mẫu số 05", TITLE_05.capitalize(), data)


# --- Mẫu 06 -------------------------------------------------------------------------------


def control_sheet(
    office: Office,
    data: DossierSlipData,
    rows: Sequence[TimelineRow],
    *,
    lead_agency: str = "",
    coordinating_agencies: str = "",
    issued_on: date | None = None,
) -> bytes:
    """Mẫu số 06: Phiếu kiểm soát quá trình giải quyết hồ sơ, one row per hand-over."""
    s = Styles(A5_SLIP)
    width = A5_SLIP.width
    story: list[Flowable] = heading(office, s, "Mẫu số 06", issued_on or _received_on(data))
    story += title(
        s,
        TITLE_06,
        f"{codes(data)}<br/><i>(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả)</i>",
    )
    story.append(Paragraph(f"Hồ sơ của: <b>{fmt.x(data.applicant.name)}</b>", s.body))
    story.append(Paragraph(f"Nội dung yêu cầu giải quyết: {_procedure(data)}", s.body))
    story.append(
        field(s, "Cơ quan (bộ phận) giải quyết hồ sơ", lead_agency or office.people_committee)
    )
    story.append(field(s, "Cơ quan phối hợp giải quyết hồ sơ", coordinating_agencies or "Không"))
    story.append(
        Paragraph(
            f"Nhận hồ sơ: {fmt.x(fmt.moment_text(data.received_at))}; hẹn trả kết quả: "
            f"<b>{_due_text(data.due_date)}</b>.",
            s.body,
        )
    )
    story.append(Spacer(1, 4))

    head = [
        Paragraph("TÊN CƠ QUAN", s.cell_head),
        Paragraph("THỜI GIAN GIAO, NHẬN HỒ SƠ", s.cell_head),
        Paragraph(
            "KẾT QUẢ GIẢI QUYẾT HỒ SƠ<br/><font size=6.5>(Trước hạn/ đúng hạn/ quá hạn)</font>",
            s.cell_head,
        ),
        Paragraph("GHI CHÚ", s.cell_head),
    ]
    table_rows: list[list[Flowable]] = [head]
    for n, row in enumerate(rows, start=1):
        units = f"<b>{n}. Giao:</b> {fmt.x(row.from_unit)}<br/><b>Nhận:</b> {fmt.x(row.to_unit)}"
        local = fmt.local(row.handed_at)
        when = f"{fmt.clock(local)},<br/>ngày {fmt.short_date(local)}"
        people = []
        if row.from_person:
            people.append(f"Người giao: <i>{fmt.x(row.from_person)}</i>")
        if row.to_person:
            people.append(f"Người nhận: <i>{fmt.x(row.to_person)}</i>")
        table_rows.append(
            [
                Paragraph(units, s.cell),
                Paragraph("<br/>".join([when, *people]), s.cell),
                Paragraph(fmt.x(row.result), s.cell_center),
                Paragraph(fmt.x(row.note), s.cell),
            ]
        )
    if not rows:
        table_rows.append([Paragraph("<i>(chưa có lần giao, nhận nào)</i>", s.cell), "", "", ""])
    col = [0.30, 0.31, 0.19]
    widths = [width * c for c in col]
    widths.append(width - sum(widths))
    table = make_table(
        table_rows,
        widths,
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("VALIGN", (0, 1), (-1, -1), "TOP"),
            ("VALIGN", (2, 1), (2, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
        ],
        repeat_rows=1,
    )
    story.append(table)
    return _pdf(story, "Mẫu số 06", TITLE_06.capitalize(), data)
