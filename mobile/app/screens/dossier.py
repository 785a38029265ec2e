"""One dossier: details, timeline, next steps of the state machine, apology when late.

Its photos are decoded in memory; a colleague's photo whose bytes are not on the tablet
yet shows a placeholder ("Đang tải ảnh…") while ``mobile.photos`` fetches it off the UI
thread, then the photo; when it cannot be fetched the placeholder says so and a tap
tries again (so does a successful sync: the connection is back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.popup import Popup

from mobile.app import style as C
from mobile.app.fmt import fmt_date
from mobile.app.screens.base import BaseScreen, load_kv
from mobile.app.sync_runner import kivy_dispatch
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.dossier import (
    ActionView,
    DossierModel,
    photo_fetcher,
    photo_placeholder,
)
from mobile.app.viewmodels.intake import FormField
from mobile.app.widgets import Field, FormPopup, texture_from_bytes
from mobile.photos import FetchResult, PhotoFetcher, PhotoState, WantedPhoto
from sync.domain import DossierStatus
from sync.engine import SyncReport

__all__ = ["DossierScreen"]


class DossierScreen(BaseScreen):
    title = StringProperty("")
    status_text = StringProperty("")
    details = StringProperty("")
    overdue = StringProperty("")
    server_label = StringProperty("")
    on_server = BooleanProperty(False)
    can_apologise = BooleanProperty(False)
    #: The dossier's processing was stopped: form 05 can be exported.
    stopped = BooleanProperty(False)
    can_correct = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="dossier", **kwargs)
        self.model: DossierModel | None = None
        self.popup: FormPopup | CorrectionPopup | None = None
        #: Decoded photos of the dossier shown, by SHA-256 (in memory only).
        self._textures: dict[str, Any] = {}
        self._textures_of: str | None = None
        #: Fetches colleagues' photos (made at the first one), and what each is.
        self._fetcher: PhotoFetcher | None = None
        self._wanted: dict[str, WantedPhoto] = {}
        self._extensions: dict[str, str] = {}
        #: The handover dialog's communes (name → id) and its drop-down.
        self._handover_targets: dict[str, int] = {}
        self.handover_spinner: Any = None

    @property
    def fetcher(self) -> PhotoFetcher:
        if self._fetcher is None:
            self._fetcher = photo_fetcher(
                self.ctx, dispatch=kivy_dispatch, on_result=self._photo_arrived
            )
        return self._fetcher

    def prepare(self, dossier_id: str | None = None, **_options: Any) -> None:
        if self._fetcher is not None:
            self._fetcher.forget_failures()  # opened again: photos that failed are retried
        if dossier_id is None:
            return
        try:
            self.model = DossierModel(self.ctx, dossier_id)
        except UserError as error:
            self.model = None
            self.fail(error)

    def on_sync_finished(self, report: SyncReport) -> None:
        if self.model is not None and self.manager and self.manager.current == self.name:
            if report.ok and self._fetcher is not None:
                self._fetcher.retry_failed()  # the server is reachable again
            self.render()

    def render(self) -> None:
        model = self.model
        if model is None:
            return
        try:
            model.load()
        except UserError as error:
            self.fail(error)
            return
        header = model.header()
        self.title = header.title
        self.status_text = header.status
        self.details = "\n".join(header.lines)
        self.overdue = header.overdue
        self.on_server = header.on_server
        self.server_label = header.on_server_label
        self.can_apologise = model.is_overdue() and model.settles_here()
        self.stopped = model.status is DossierStatus.STOPPED
        self.can_correct = model.can_correct()
        self.ids.timeline.data = list(reversed(model.timeline_rows()))
        box = self.ids.actions
        box.clear_widgets()
        actions = model.actions()
        if not actions:
            box.add_widget(Factory.Muted(text=model.no_actions_text()))
        for action in actions:
            button = Factory.DangerButton() if action.danger else Factory.BigButton()
            button.text = action.label
            button.action = action.status
            button.bind(on_release=lambda b, a=action: self.ask(a))
            box.add_widget(button)
        if model.can_record_verification():
            button = Factory.BigButton()
            button.text = self.t("dossier.record_verification")
            button.bind(on_release=lambda _b: self.record_verification())
            box.add_widget(button)
        if model.can_hand_over():
            button = Factory.BigButton()
            button.text = self.t("dossier.hand_over")
            button.action = "hand_over"
            button.bind(on_release=lambda _b: self.hand_over())
            box.add_widget(button)
        self._render_photos(model)

    def _render_photos(self, model: DossierModel) -> None:
        """Thumbnails decoded from the photos' bytes in memory (sealed on disk).

        A photo whose bytes are still on the server gets a placeholder and is fetched
        in the background (``_photo_arrived`` shows it).
        """
        if self._textures_of != model.dossier_id:
            self._textures, self._textures_of = {}, model.dossier_id
        photos = self.ids.photos
        photos.clear_widgets()
        for photo in model.photo_views(known=frozenset(self._textures)):
            texture = self._textures.get(photo.sha256)
            if texture is None and photo.data:
                texture = texture_from_bytes(photo.data, photo.extension)
            if texture is not None:
                self._textures[photo.sha256] = texture
                thumb = Factory.Thumb()
                thumb.texture = texture
                thumb.photo_sha256 = photo.sha256
                photos.add_widget(thumb)
            elif not photo.on_tablet and photo.showable:
                self._wanted[photo.sha256] = photo.wanted
                self._extensions[photo.sha256] = photo.extension
                photos.add_widget(self._placeholder(self.fetcher.request(photo.wanted)))

    def _placeholder(self, result: FetchResult) -> Any:
        if result.state is PhotoState.READY:  # kept just now: its bytes are on their way here
            result = FetchResult(result.sha256, PhotoState.LOADING)
        placeholder = Factory.PhotoPlaceholder()
        placeholder.photo_sha256 = result.sha256
        placeholder.failed = result.failed
        placeholder.text = photo_placeholder(self.ctx, result)
        placeholder.bind(on_release=lambda p: self.retry_photo(p.photo_sha256))
        return placeholder

    def retry_photo(self, sha256: str) -> None:
        """The officer tapped a photo that could not be fetched: try again now."""
        wanted = self._wanted.get(sha256)
        if wanted is None or self.model is None:
            return
        status = self.fetcher.status(sha256)
        if status is not None and status.state in (PhotoState.LOADING, PhotoState.READY):
            return  # being fetched
        self.fetcher.request(wanted, retry=True)
        self._render_photos(self.model)

    def _photo_arrived(self, result: FetchResult) -> None:
        """A fetch finished (on the UI thread): show the photo, or say why not."""
        model = self.model
        shown = model is not None and self._textures_of == model.dossier_id
        if result.state is PhotoState.READY and shown:
            texture = texture_from_bytes(result.data, self._extensions.get(result.sha256, ""))
            if texture is not None:
                self._textures[result.sha256] = texture
        current = bool(self.manager) and self.manager.current == self.name
        if result.state in (PhotoState.DAMAGED, PhotoState.REFUSED, PhotoState.FAILED) and current:
            self.fail(UserError(self.t("photo.problem", error=self.ctx.tr.message(result.error))))
        if model is not None and current:
            self._render_photos(model)

    # -- actions -------------------------------------------------------------------------------

    def ask(self, action: ActionView) -> None:
        """Confirm a step, with its reason (required for refusals and supplements)."""
        label = (
            self.t(f"dossier.reason.{action.status}")
            if action.needs_reason
            else self.t("dossier.note")
        )
        self.popup = FormPopup(
            title=action.label,
            fields=[{"name": "note", "label": label, "multiline": True, "lines": 3}],
            on_submit=lambda values: self._apply(action.status, values["note"]),
            ok_text=action.label,
            cancel_text=self.t("common.cancel"),
            danger=action.danger,
        )
        self.popup.open()

    def _apply(self, status: str, note: str) -> str | None:
        assert self.model is not None
        try:
            message = self.model.apply(status, note)
        except UserError as error:
            if self.popup is not None:
                self.popup.show_errors(error.errors)
            return error.message
        self.ok(message)
        self._changed()
        return None

    def record_verification(self) -> None:
        """Verification is needed: the longer appointment applies from now on."""
        self.popup = FormPopup(
            title=self.t("dossier.record_verification"),
            fields=[{"name": "note", "label": self.t("dossier.note"), "multiline": True}],
            on_submit=self._verification,
            ok_text=self.t("common.save"),
            cancel_text=self.t("common.cancel"),
        )
        self.popup.open()

    def _verification(self, values: dict[str, str]) -> str | None:
        assert self.model is not None
        try:
            self.model.record_verification(values.get("note", ""))
        except UserError as error:
            return error.message
        self._changed()
        return None

    def hand_over(self) -> None:
        """Hand the dossier over to another commune of the province, with a reason."""
        assert self.model is not None
        required = self.model.handover_reason_required()
        self.popup = FormPopup(
            title=self.t("dossier.hand_over_title"),
            fields=[
                {
                    "name": "reason",
                    "label": self.t(
                        "dossier.hand_over_reason_again" if required else "dossier.hand_over_reason"
                    ),
                    "multiline": True,
                    "lines": 2,
                }
            ],
            on_submit=self._hand_over,
            ok_text=self.t("dossier.hand_over"),
            cancel_text=self.t("common.cancel"),
        )
        self._handover_targets = {name: cid for cid, name in self.model.handover_choices()}
        box = self.popup.ids.fields
        box.add_widget(
            Factory.Txt(text=self.t("dossier.hand_over_to"), bold=True, color=C.muted),
            index=len(box.children),
        )
        spinner = Factory.BigSpinner(values=list(self._handover_targets), text="")
        box.add_widget(spinner, index=len(box.children) - 1)
        self.handover_spinner = spinner
        self.popup.open()

    def _hand_over(self, values: dict[str, str]) -> str | None:
        assert self.model is not None
        target = self._handover_targets.get(self.handover_spinner.text)
        try:
            message = self.model.hand_over(target, values.get("reason", ""))
        except UserError as error:
            if self.popup is not None:
                self.popup.show_errors(error.errors)
            return error.message
        self.ok(message)
        self._changed()
        return None

    def add_note(self) -> None:
        self.popup = FormPopup(
            title=self.t("dossier.add_note"),
            fields=[{"name": "note", "label": self.t("dossier.note"), "multiline": True}],
            on_submit=self._note,
            ok_text=self.t("common.save"),
            cancel_text=self.t("common.cancel"),
        )
        self.popup.open()

    def _note(self, values: dict[str, str]) -> str | None:
        assert self.model is not None
        try:
            self.model.add_note(values["note"])
        except UserError as error:
            return error.message
        self._changed()
        return None

    def apologise(self) -> None:
        assert self.model is not None
        self.popup = FormPopup(
            title=self.t("dossier.apology"),
            fields=[
                {
                    "name": "reason",
                    "label": self.t("dossier.reason"),
                    "multiline": True,
                    "lines": 3,
                },
                {
                    "name": "new_date",
                    "label": self.t("dossier.new_date"),
                    "text": fmt_date(self.model.suggested_new_date()),
                },
            ],
            on_submit=self._apology,
            ok_text=self.t("dossier.apology"),
            cancel_text=self.t("common.cancel"),
        )
        self.popup.open()

    def _apology(self, values: dict[str, str]) -> str | None:
        assert self.model is not None
        try:
            self.model.apologise(values["reason"], values["new_date"])
        except UserError as error:
            if self.popup is not None:
                self.popup.show_errors(error.errors)
            return error.message
        self.ok(self.t("common.saved"))
        self._changed()
        return None

    def correct(self) -> None:
        """Open the correction form (applicant, parties, facts)."""
        assert self.model is not None
        if not self.model.can_correct():
            self.fail(UserError(self.t("dossier.correct_closed")))
            return
        popup = CorrectionPopup(self.model.correction_sections(), on_submit=self._correct)
        self.popup = popup
        popup.open()

    def _correct(self, values: dict[str, str]) -> str | None:
        assert self.model is not None
        try:
            changed = self.model.correct(values)
        except UserError as error:
            if isinstance(self.popup, CorrectionPopup):
                self.popup.show_errors(error.errors)
            return error.message
        self.ok(self.t("common.saved") if changed else self.t("dossier.correct_none"))
        self._changed()
        return None

    def export_pdf(self) -> None:
        if self.model is not None:
            self.export_receipt(self.model.dossier_id)

    def export_stop(self) -> None:
        """Form 05 of a stopped dossier (Circular 03/2025/TT-VPCP)."""
        if self.model is not None:
            self.export_stop_notice(self.model.dossier_id)

    def _changed(self) -> None:
        self.render()
        self.app.runner.poke()
        self.app.refresh_status()


class CorrectionPopup(Popup):  # type: ignore[misc]
    """The correction form: one ``Field`` per path (``parties.bride.full_name``…)."""

    message = StringProperty("")

    def __init__(
        self,
        sections: list[tuple[str, list[FormField]]],
        *,
        on_submit: Callable[[dict[str, str]], str | None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._on_submit = on_submit
        self.fields: dict[str, Any] = {}
        box = self.ids.sections
        for title, items in sections:
            box.add_widget(Factory.Txt(text=title, bold=True, color=C.primary))
            grid = Factory.GridLayout(cols=2, spacing=(dp(16), dp(4)), size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            for item in items:
                label = f"{item.label} *" if item.required else item.label
                field = Field(label=label, text=item.value)
                if item.kind in ("cccd", "int"):
                    field.input_filter = "int"
                if item.kind == "choice":
                    field.hint = " / ".join(f"{v} = {t}" for v, t in item.choices)
                self.fields[item.key] = field
                grid.add_widget(field)
            box.add_widget(grid)

    def submit(self) -> None:
        problem = self._on_submit({key: field.text for key, field in self.fields.items()})
        if problem:
            self.message = problem
            return
        self.dismiss()

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, field in self.fields.items():
            field.error = errors.get(key, "")


load_kv(__file__)
