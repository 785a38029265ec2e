"""Feedback pages: filters, anonymity, the handling workflow, and its sync to tablets."""

from __future__ import annotations

from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Feedback
from server.sync.clock import is_server_node
from sync.domain import FeedbackKind, FeedbackStatus
from sync.hlc import Timestamp
from sync.ops import Cursor
from tests import factories
from tests.server.conftest import World
from tests.server.sync.conftest import latest
from tests.server.web.admin_helpers import feedback, tablet
from tests.server.web.helpers import csrf_token, log_in


def _html(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_list_filters_and_overdue_answers(
    client: FlaskClient, world: World, session: Session
) -> None:
    late = feedback(session, world.a, received_days_ago=15, content="Đèn đường thôn hỏng")
    complaint = feedback(session, world.a, kind=FeedbackKind.COMPLAINT, content="Khiếu nại đất")
    answered = feedback(
        session,
        world.a,
        status=FeedbackStatus.ANSWERED,
        received_days_ago=20,
        content="Đã trả lời rồi",
    )
    feedback(session, world.b, content="Phản ánh của xã B")
    session.commit()
    log_in(client, world.a.leader)
    everything = _html(client, "/feedback")
    assert all(f.content in everything for f in (late, complaint, answered))
    assert "Phản ánh của xã B" not in everything
    # Overdue: still open past its due date; an answered one is never overdue.
    overdue = _html(client, "/feedback?overdue=1")
    assert late.content in overdue
    assert complaint.content not in overdue and answered.content not in overdue
    assert 'class="is-late"' in overdue and "late-text" in overdue
    kinds = _html(client, "/feedback?kind=complaint")
    assert complaint.content in kinds and late.content not in kinds
    statuses = _html(client, "/feedback?status=answered")
    assert answered.content in statuses and late.content not in statuses
    # The province sees both communes and may narrow to one.
    log_in(client, world.province_admin)
    assert "Phản ánh của xã B" in _html(client, "/feedback")
    narrowed = _html(client, f"/feedback?commune={world.a.commune.id}")
    assert "Phản ánh của xã B" not in narrowed and late.content in narrowed


def _assigned(
    session: Session,
    world: World,
    assignee_id: int,
    content: str,
    *,
    status: FeedbackStatus = FeedbackStatus.IN_HANDLING,
) -> Feedback:
    """Feedback to commune A assigned to ``assignee_id``, in handling unless told."""
    return feedback(session, world.a, status=status, assignee_id=assignee_id, content=content)


def test_assigned_to_me_shows_only_the_logged_in_users_feedback(
    client: FlaskClient, world: World, session: Session
) -> None:
    colleague = factories.officer(session, world.a.commune, full_name="Lò Văn Pọm")
    mine = _assigned(session, world, world.a.officer.id, "Giao cho cán bộ một cửa")
    answered = _assigned(
        session,
        world,
        world.a.officer.id,
        "Đã trả lời, vẫn của tôi",
        status=FeedbackStatus.ANSWERED,
    )
    theirs = _assigned(session, world, colleague.id, "Giao cho đồng nghiệp")
    leaders = _assigned(session, world, world.a.leader.id, "Giao cho chủ tịch xã")
    nobody = feedback(session, world.a, content="Chưa phân công")
    session.commit()
    everyone = (mine, answered, theirs, leaders, nobody)

    log_in(client, world.a.officer)
    html = _html(client, "/feedback")
    assert all(f.content in html for f in everyone)
    assert 'href="/feedback?mine=1">Giao cho tôi</a>' in html
    assert '<input type="checkbox" name="mine" value="1">' in html
    html = _html(client, "/feedback?mine=1")
    assert mine.content in html and answered.content in html
    assert not [f for f in (theirs, leaders, nobody) if f.content in html]
    assert '<input type="checkbox" name="mine" value="1" checked>' in html
    assert "2 phản ánh" in html
    # With the other filters; an id in the address never picks someone else's.
    html = _html(client, "/feedback?mine=1&status=in_handling")
    assert mine.content in html and answered.content not in html
    html = _html(client, f"/feedback?mine={colleague.id}&assignee_id={colleague.id}")
    assert all(f.content in html for f in everyone)

    log_in(client, world.a.leader)
    html = _html(client, "/feedback?mine=1")
    assert leaders.content in html
    assert not [f for f in (mine, answered, theirs, nobody) if f.content in html]

    # A province administrator is never assigned feedback: no such filter offered.
    log_in(client, world.province_admin)
    html = _html(client, "/feedback")
    assert "Giao cho tôi" not in html
    assert "Không có phản ánh nào phù hợp." in _html(client, "/feedback?mine=1")

    # English second.
    log_in(client, world.a.officer)
    client.get("/lang/en")
    refresh()
    html = _html(client, "/feedback?mine=1")
    assert "Assigned to me" in html and "Giao cho tôi" not in html
    assert mine.content in html and theirs.content not in html


def test_anonymous_feedback_never_shows_name_or_phone(
    client: FlaskClient, world: World, session: Session
) -> None:
    secret = feedback(
        session,
        world.a,
        anonymous=True,
        citizen_name="Tên Bí Mật",
        citizen_phone="0987654321",
        content="Cán bộ đòi tiền",
    )
    named = feedback(session, world.a, citizen_name="Lò Thị Sen", citizen_phone="0911222333")
    session.commit()
    log_in(client, world.a.leader)
    for url in ("/feedback", f"/feedback/{secret.id}"):
        html = _html(client, url)
        assert "Tên Bí Mật" not in html and "0987654321" not in html
        assert "Ẩn danh" in html
    detail = _html(client, f"/feedback/{named.id}")
    assert "Lò Thị Sen" in detail and "0911222333" in detail


def _post(client: FlaskClient, url: str, data: dict[str, str]) -> tuple[int, str]:
    token = csrf_token(client, url.rsplit("/", 1)[0])
    response = client.post(url, data={"csrf_token": token, **data})
    return response.status_code, response.get_data(as_text=True)


def test_assign_forward_answer_close_sync_to_tablets(
    client: FlaskClient, world: World, session: Session
) -> None:
    item = feedback(session, world.a)
    session.commit()
    device = tablet(world, client)
    _changes, cursor = device.pull_all()
    seq_before = item.seq
    base = f"/feedback/{item.id}"

    log_in(client, world.a.leader)
    assert _post(client, f"{base}/assign", {"assignee_id": str(world.a.officer.id)})[0] == 302
    session.refresh(item)
    assert (item.status, item.assignee_id) == (FeedbackStatus.IN_HANDLING, world.a.officer.id)
    assert item.seq > seq_before
    clock, field_seq = item.field_clocks["assignee_id"]
    assert is_server_node(Timestamp.decode(clock).node) and field_seq == item.seq

    # The tablet pulls the change with the server's clock.
    page = device.pull(cursor)
    pulled = latest(page["changes"], "feedback", item.id)
    assert pulled["f"]["assignee_id"] == world.a.officer.id
    assert pulled["f"]["status"] == "in_handling"
    assert is_server_node(Timestamp.decode(pulled["k"]["status"]).node)
    cursor = page["cursor"]

    # Another commune's officer cannot be given it; nor can the text be empty.
    status, html = _post(client, f"{base}/assign", {"assignee_id": str(world.b.officer.id)})
    assert status == 422 and "Chọn cán bộ của xã" in html
    status, html = _post(client, f"{base}/forward", {"forwarded_to": "   "})
    assert status == 422
    assert _post(client, f"{base}/forward", {"forwarded_to": "Phòng Nông nghiệp"})[0] == 302
    session.refresh(item)
    assert (item.status, item.forwarded_to) == (FeedbackStatus.FORWARDED, "Phòng Nông nghiệp")

    # The assigned officer answers; the answer is public if asked.
    log_in(client, world.a.officer)
    assert _post(client, f"{base}/answer", {"response": " "})[0] == 422
    status, _ = _post(client, f"{base}/answer", {"response": "Xã đã sửa đường.", "public": "1"})
    assert status == 302
    session.refresh(item)
    assert item.status == FeedbackStatus.ANSWERED
    assert item.response == "Xã đã sửa đường." and item.public
    assert item.answered_at is not None
    # Only the leader closes.
    assert _post(client, f"{base}/close", {})[0] == 403
    log_in(client, world.a.leader)
    assert _post(client, f"{base}/close", {})[0] == 302
    session.refresh(item)
    assert item.status == FeedbackStatus.CLOSED
    # Nothing more to do on a closed one.
    status, _ = _post(client, f"{base}/answer", {"response": "Lần nữa"})
    assert status == 409

    page = device.pull(cursor)
    pulled = latest(page["changes"], "feedback", item.id)
    assert pulled["f"]["status"] == "closed"
    assert pulled["f"]["response"] == "Xã đã sửa đường."
    assert Cursor.decode(page["cursor"]).commune > Cursor.decode(cursor).commune
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == item.id).order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "feedback.assign",
        "feedback.forward",
        "feedback.answer",
        "feedback.close",
    ]
    detail = _html(client, base)
    assert "Đóng phản ánh" in detail and "Xã đã sửa đường." in detail
    assert "feedback.close" not in detail  # words, not action codes (issue 10 §16)


def test_who_may_answer_and_close(client: FlaskClient, world: World, session: Session) -> None:
    item = feedback(session, world.a)
    praise = feedback(session, world.a, kind=FeedbackKind.PRAISE, content="Cảm ơn cán bộ")
    other = factories.officer(session, world.a.commune)
    session.commit()
    # An officer who is not the assignee may not answer, nor assign.
    log_in(client, other)
    html = _html(client, f"/feedback/{item.id}")
    assert 'name="response"' not in html and 'name="assignee_id"' not in html
    assert _post(client, f"/feedback/{item.id}/answer", {"response": "x"})[0] == 403
    assert _post(client, f"/feedback/{item.id}/assign", {"assignee_id": str(other.id)})[0] == 403
    # A complaint must be answered (or forwarded) before it is closed; praise need not.
    log_in(client, world.a.leader)
    assert _post(client, f"/feedback/{item.id}/close", {})[0] == 422
    assert _post(client, f"/feedback/{praise.id}/close", {})[0] == 302
    session.expire_all()
    stored = session.get(Feedback, praise.id)
    assert stored is not None and stored.status == FeedbackStatus.CLOSED
    # Administrators read, they do not handle a commune's feedback.
    log_in(client, world.province_admin)
    assert 'name="response"' not in _html(client, f"/feedback/{item.id}")
    assert _post(client, f"/feedback/{item.id}/answer", {"response": "x"})[0] == 403
