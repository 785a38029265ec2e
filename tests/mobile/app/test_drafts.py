"""Drafts: work being typed kept encrypted, given back after the app is killed.

The kill is simulated here by dropping the app's objects and opening the data folder
again with a new ``Tablet`` and ``AppContext`` (the GUI test ``gui_drafts.py`` kills a
real process with SIGKILL).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.feedback import FeedbackModel
from mobile.app.viewmodels.intake import IntakeModel
from mobile.app.viewmodels.setup import FirstRunModel
from mobile.app.viewmodels.survey import SurveyModel
from mobile.drafts import DraftStore
from mobile.photo_resize import FORMATS, options_for
from mobile.store import StoreLocked
from mobile.tablet import Tablet
from tests.mobile.app.conftest import PIN, TEST_SCRYPT_N
from tests.mobile.form_photo import camera_jpeg


def reopen(ctx: AppContext) -> AppContext:
    """The app killed and started again on the same data folder, then unlocked."""
    path = ctx.tablet.store.path
    ctx.tablet.close()
    again = AppContext.open(
        ctx.data_dir, tablet=Tablet(path), platform=ctx.platform, scrypt_n=TEST_SCRYPT_N
    )
    again.unlock_with(again.vault.unlock(PIN))
    return again


def test_an_intake_with_a_photo_comes_back_after_a_kill(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    ctx = make_ctx()
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    model = IntakeModel(ctx)
    model.choose_procedure(2)
    model.next()
    model.set_applicant(name="Hầu Thị Mỷ", cccd="010301012345", phone="0912345678")
    model.next()
    model.toggle_document(0)
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(camera_jpeg())
    kept = model.add_photo(photo)
    assert kept.size < 400_000 < kept.original_size
    assert ctx.drafts.keep("intake", model)

    # On disk: neither the name nor the citizen ID in clear, anywhere in the database.
    files = ctx.tablet.store.path.parent.glob("tablet-1.db*")
    raw = b"".join(p.read_bytes() for p in files if p.is_file())
    assert "Hầu Thị Mỷ".encode() not in raw and b"010301012345" not in raw

    again = reopen(ctx)
    restored = IntakeModel(again)
    draft = again.drafts.load("intake")
    assert draft is not None and draft.summary.endswith("Hầu Thị Mỷ")
    restored.restore_draft(draft.state)
    assert restored.step == "documents" and restored.procedure is not None
    assert str(restored.procedure["id"]) == "2"
    assert restored.applicant.name == "Hầu Thị Mỷ" and restored.applicant.phone == "0912345678"
    assert restored.provided == {0}
    assert [p.sha256 for p in restored.photos] == [kept.sha256]
    assert restored.photo_bytes(restored.photos[0]) is not None
    restored.next()
    receipt = restored.save()
    assert again.drafts.keep("intake", restored) is False  # saved: the draft goes
    assert again.drafts.load("intake") is None
    [stored] = again.tablet.photos("dossier", receipt.dossier_id)
    # taken as a paper (``mobile.photo_resize.options_for("paper")``)
    paper_type = FORMATS[options_for("paper").format][0]
    assert stored["size"] == kept.size and stored["content_type"] == paper_type
    again.close()


def test_drafts_are_sealed_and_locked_without_the_pin(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx()
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    drafts = DraftStore(ctx.tablet.store)
    drafts.save("feedback", "feedback", {"form": {"content": "Đường vào bản Tả Van sạt lở"}})
    ctx.lock()
    assert [d.key for d in drafts.drafts()] == ["feedback"]  # known to exist, not readable
    with pytest.raises(StoreLocked):
        drafts.load("feedback")
    with pytest.raises(StoreLocked):
        drafts.save("feedback", "feedback", {"form": {}})


def test_unchanged_state_is_not_written_again(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx()
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    model = FeedbackModel(ctx)
    assert ctx.drafts.keep("feedback", model) is False  # nothing typed: no draft
    model.form.content = "Xin cấp lại giấy khai sinh"
    assert ctx.drafts.keep("feedback", model)
    first = ctx.drafts.drafts()[0].saved_at
    assert ctx.drafts.keep("feedback", model)
    assert ctx.drafts.drafts()[0].saved_at == first
    again = reopen(ctx)
    restored = FeedbackModel(again)
    draft = again.drafts.load("feedback")
    assert draft is not None
    restored.restore_draft(draft.state)
    assert restored.form.content == "Xin cấp lại giấy khai sinh"
    again.close()


def test_a_survey_needs_its_village_and_keeps_its_respondent(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx()
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    model = SurveyModel(ctx)
    form_id, _title = model.forms()[0]
    with pytest.raises(UserError) as refused:
        model.start(form_id, None)
    assert refused.value.message == "Chọn thôn, bản đang khảo sát"
    village_id, village = model.villages()[0]
    model.start(form_id, village_id)
    assert model.header_text().endswith(f" · {village}")
    assert not model.half_answered
    first = model.questions()[0]
    model.answer(first.id, first.options[0][0])
    model.set_profile("gender", "female")
    assert model.half_answered
    assert ctx.drafts.keep("survey", model)
    again = reopen(ctx)
    restored = SurveyModel(again)
    draft = again.drafts.load("survey")
    assert draft is not None
    restored.restore_draft(draft.state)
    assert restored.village_id == village_id and restored.answers == model.answers
    assert restored.profile == {"gender": "female"}
    again.close()
