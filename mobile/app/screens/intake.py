"""The intake wizard: procedure, applicant, papers and photos, check, receipt with QR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty, StringProperty

from mobile.app.fmt import fmt_bytes, fmt_date
from mobile.app.screens.base import BaseScreen, in_background, load_kv
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.intake import FACTS_STEP, PARTY_STEP, FormField, IntakeModel
from mobile.app.widgets import texture_from_bytes
from mobile.photo_resize import PreparedPhoto
from mobile.security import VaultError
from mobile.store import StoreError

__all__ = ["IntakeScreen"]

#: Form field → the id of its widget on the applicant step.
_FIELDS = {
    "name": "name",
    "cccd": "cccd",
    "dob": "dob",
    "phone": "phone",
    "address": "address",
}


class IntakeScreen(BaseScreen):
    #: The device has a camera (Android): "take" and "choose" are two buttons.
    can_capture = BooleanProperty(False)
    step_title = StringProperty("")
    due_text = StringProperty("")
    verification_text = StringProperty("")
    can_verify = BooleanProperty(False)
    verification_needed = BooleanProperty(False)
    warnings = StringProperty("")
    receipt_number = StringProperty("")
    receipt_due = StringProperty("")
    receipt_url = StringProperty("")
    qr_source = StringProperty("")
    catalog_note = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="intake", **kwargs)
        self.can_capture = bool(getattr(self.ctx.platform.camera, "can_capture", False))
        self._model: IntakeModel | None = None
        self._villages: dict[str, int | None] = {}
        self._communes: dict[str, int] = {}
        #: The party or facts step drawn now: field key → its input (or choice row).
        self._form_widgets: dict[str, Any] = {}
        self._form_step = ""
        #: The thread lightening the last photo taken (tests wait for it).
        self.photo_job: Any = None

    @property
    def model(self) -> IntakeModel:
        if self._model is None:
            self._model = IntakeModel(self.ctx)
        return self._model

    draft_key = "intake"

    def prepare(self, fresh: bool = False, **_options: Any) -> None:
        # "Tiếp nhận hồ sơ" again in the middle of an intake continues it: nothing typed
        # is thrown away by a tap on the menu.
        if self.model.step == "receipt" or (fresh and self.model.draft_state() is None):
            self.model.reset()
            self._clear_fields()
        self.restore_draft_if_blank()

    def _clear_fields(self) -> None:
        for widget_id in (*_FIELDS.values(), "procedure_search"):
            field = self.ids[widget_id]
            field.text = ""
            if hasattr(field, "error"):
                field.error = ""
        self.ids.village.text = self.t("common.none")
        self.warnings = ""

    # -- the draft -----------------------------------------------------------------------------

    def draft_model(self) -> IntakeModel:
        if self.model.step == "applicant":
            self._collect_applicant()
        return self.model

    def draft_restored(self) -> None:
        """The fields show the applicant the draft kept."""
        self._clear_fields()
        for name, widget_id in _FIELDS.items():
            self.ids[widget_id].text = str(getattr(self.model.applicant, name) or "")

    # -- rendering -----------------------------------------------------------------------------

    def render(self) -> None:
        model = self.model
        step = model.step
        is_form = step.startswith(PARTY_STEP) or step == FACTS_STEP
        if step == "receipt":
            self.step_title = self.t("receipt.title")
        else:
            name = model.form_title(step) if is_form else self.t(f"intake.step.{step}")
            self.step_title = self.t(
                "intake.step", number=model.step_number(), total=model.step_count(), name=name
            )
        self.ids.steps.current = "form" if is_form else step
        self.ids.back.disabled = step == "procedure"
        if is_form:
            self._render_form(step)
        else:
            getattr(self, f"_render_{step}")()

    def _render_procedure(self) -> None:
        rows = self.model.procedure_rows(self.ids.procedure_search.text)
        self.ids.procedures.data = rows
        self.catalog_note = "" if self.ctx.tablet.procedures() else self.t("intake.no_catalog")

    def _render_settling(self) -> None:
        model = self.model
        self.ids.settling_chosen.text = self.t("intake.chosen", name=model.procedure_name())
        self._communes = {name: cid for cid, name in model.settling_choices()}
        spinner = self.ids.settling
        spinner.values = list(self._communes)
        chosen = model.settling_id()
        spinner.text = next((n for n, c in self._communes.items() if c == chosen), "")
        self.ids.settling_error.text = ""
        self._render_return()

    def _render_return(self) -> None:
        model = self.model
        elsewhere = model.settling_id() != model.own_commune_id()
        there = model.return_to == "settling" and elsewhere
        self.ids.return_here.state = "normal" if there else "down"
        self.ids.return_there.state = "down" if there else "normal"
        self.ids.return_there.disabled = not elsewhere

    def settling_chosen(self, text: str) -> None:
        if text in self._communes:
            self.model.set_settling(self._communes[text])
            self._render_return()

    def return_chosen(self, where: str) -> None:
        self.model.set_return_to(where)
        self._render_return()

    def _render_applicant(self) -> None:
        self.ids.chosen.text = self.t("intake.chosen", name=self.model.procedure_name())
        none = self.t("common.none")
        self._villages = {none: None}
        self._villages.update({name: vid for vid, name in self.model.villages()})
        spinner = self.ids.village
        spinner.values = list(self._villages)
        chosen = self.model.applicant.village_id
        spinner.text = next((n for n, v in self._villages.items() if v == chosen), none)
        box = self.ids.channels
        box.clear_widgets()
        for value, label in self.model.channels():
            button = Factory.ChoiceButton(
                text=label,
                group="channel",
                allow_no_selection=False,
                state="down" if value == self.model.applicant.channel else "normal",
            )
            button.channel = value
            button.bind(on_release=lambda b: self.model.set_applicant(channel=b.channel))
            box.add_widget(button)

    def _render_form(self, step: str) -> None:
        """One input per field of the party (or facts), built from the procedure's form."""
        self.ids.form_chosen.text = self.t("intake.chosen", name=self.model.procedure_name())
        self.ids.copy_applicant.opacity = 1 if step.startswith(PARTY_STEP) else 0
        self.ids.copy_applicant.disabled = not step.startswith(PARTY_STEP)
        grid = self.ids.form_fields
        grid.clear_widgets()
        self._form_widgets = {}
        self._form_step = step
        for item in self.model.form_fields(step):
            widget = self._form_widget(item)
            self._form_widgets[item.key] = widget
            grid.add_widget(widget)
        self.ids.form_scroll.scroll_y = 1

    def _form_widget(self, item: FormField) -> Any:
        label = f"{item.label} *" if item.required else item.label
        if item.kind == "choice":
            box = Factory.BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
            box.bind(minimum_height=box.setter("height"))
            box.add_widget(Factory.Muted(text=label, bold=True))
            row = Factory.BoxLayout(size_hint_y=None, height=dp(56), spacing=dp(8))
            for value, text in item.choices:
                button = Factory.ChoiceButton(
                    text=text,
                    group=f"form-{item.key}",
                    state="down" if value == item.value else "normal",
                )
                button.value = value
                button.bind(state=self.recheck)
                row.add_widget(button)
            box.add_widget(row)
            box.add_widget(Factory.ErrorText(size_hint_y=None, height=dp(22)))
            box.choice_row = row
            return box
        field = Factory.Field(label=label)
        field.text = item.value
        field.bind(text=self.recheck)
        if item.kind == "date":
            field.hint = self.t("common.example", value="17/05/1990")
            field.text = _as_typed_date(item.value)
        elif item.kind in ("cccd", "int"):
            field.input_filter = "int"
        return field

    def _form_typed(self) -> dict[str, str]:
        values = {}
        for key, widget in self._form_widgets.items():
            row = getattr(widget, "choice_row", None)
            if row is not None:
                chosen = [b.value for b in row.children if b.state == "down"]
                values[key] = chosen[0] if chosen else ""
            else:
                values[key] = widget.text
        return values

    def _collect_form(self) -> None:
        if self._form_step and self._form_step == self.model.step:
            self.model.set_form_values(self._form_step, **self._form_typed())

    def _show_form_errors(self, errors: dict[str, str]) -> None:
        for key, widget in self._form_widgets.items():
            if getattr(widget, "choice_row", None) is not None:
                widget.children[0].text = errors.get(key, "")
            else:
                widget.error = errors.get(key, "")

    def copy_applicant(self) -> None:
        """The applicant is often one of the parties (the bride registering herself)."""
        person = self.model.applicant
        copied = {
            "full_name": person.name,
            "cccd": person.cccd,
            "dob": person.dob,
            "residence": person.address,
        }
        for key, value in copied.items():
            widget = self._form_widgets.get(key)
            if widget is not None and value and not getattr(widget, "choice_row", None):
                widget.text = value

    def _render_documents(self) -> None:
        box = self.ids.documents
        box.clear_widgets()
        documents = self.model.documents()
        if not documents:
            box.add_widget(Factory.Muted(text=self.t("intake.no_documents")))
        for document in documents:
            toggle = Factory.DocToggle(
                text=document["name"], state="down" if document["provided"] else "normal"
            )
            toggle.index = document["index"]
            toggle.bind(on_release=lambda b: self._toggle_document(b.index))
            box.add_widget(toggle)
        self._render_photos()

    def _toggle_document(self, index: int) -> None:
        self.model.toggle_document(index)

    def _render_photos(self) -> None:
        self.ids.photo_count.text = self.t("intake.photos", count=len(self.model.photos))
        box = self.ids.photos
        box.clear_widgets()
        for index, photo in enumerate(self.model.photos):
            tile = Factory.PhotoTile()
            tile.caption, tile.index = photo.filename, index
            texture = texture_from_bytes(self.model.photo_bytes(photo) or b"", photo.extension)
            if texture is not None:  # decoded in memory: no plain copy on disk
                tile.ids.image.texture = texture
            tile.ids.remove_button.bind(on_release=lambda _b, i=index: self._remove_photo(i))
            box.add_widget(tile)

    def _render_review(self) -> None:
        grid = self.ids.summary
        grid.clear_widgets()
        for label, value in self.model.summary():
            grid.add_widget(Factory.Muted(text=label, bold=True, size_hint_x=None, width=dp(260)))
            grid.add_widget(Factory.Txt(text=value))
        self.due_text = self.model.due_text()
        self.can_verify = self.model.can_verify()
        self.verification_needed = self.model.verification_needed
        self.verification_text = self.model.verification_text()
        notes = list(self.model.applicant_warnings())
        missing = self.model.missing_required()
        if missing:
            notes.append(self.t("intake.missing_docs", count=missing))
        self.warnings = "\n".join(notes)

    def _render_receipt(self) -> None:
        receipt = self.model.receipt
        if receipt is None:
            return
        self.receipt_number = receipt.receipt_number
        self.receipt_due = fmt_date(receipt.due_date)
        self.receipt_url = receipt.status_url
        self.qr_source = str(receipt.qr_path) if receipt.qr_path else ""
        self.warnings = "\n".join(receipt.warnings) if receipt.warnings else ""

    # -- actions -------------------------------------------------------------------------------

    def search_procedures(self) -> None:
        self._render_procedure()

    def choose_procedure(self, procedure_id: str) -> None:
        try:
            self.model.choose_procedure(procedure_id)
            self.model.next()
        except UserError as error:
            self.fail(error)
            return
        self.render()

    def village_chosen(self, text: str) -> None:
        if text in self._villages:
            self.model.set_applicant(village_id=self._villages[text])

    def _collect_applicant(self) -> None:
        self.model.set_applicant(**{name: self.ids[wid].text for name, wid in _FIELDS.items()})
        self.village_chosen(self.ids.village.text)

    def _show_field_errors(self, errors: dict[str, str]) -> None:
        for name, widget_id in _FIELDS.items():
            self.ids[widget_id].error = errors.get(name, "")
        village_error = errors.get("village_id", "")
        self.ids.village_error.text = village_error

    def next(self) -> None:
        if self.model.step == "applicant":
            self._collect_applicant()
            self._show_field_errors(self.model.applicant_errors())
        elif self.model.step == "settling":
            self.ids.settling_error.text = self.model.settling_errors().get(
                "settling_commune_id", ""
            )
        elif self.ids.steps.current == "form":
            self._collect_form()
            self._show_form_errors(self.model.form_errors())
        try:
            self.model.next()
        except UserError as error:
            self.refuse(error, self._step_errors_now)
            return
        self.app.clear_snack()
        self.render()

    def _step_errors_now(self) -> dict[str, str]:
        """The shown step's errors with what is typed now (the message bar follows them)."""
        if self.model.step == "applicant":
            self._collect_applicant()
        elif self.ids.steps.current == "form":
            self._collect_form()
        return self.model.step_errors()

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        for widget_id in _FIELDS.values():
            self.ids[widget_id].bind(text=self.recheck)
        self.ids.village.bind(text=self.recheck)

    def back(self) -> None:
        if self.model.step == "applicant":
            self._collect_applicant()
        elif self.ids.steps.current == "form":
            self._collect_form()
        self.model.back()
        self.render()

    def add_photo(self) -> None:
        self.ctx.platform.camera.take_photo(self.ctx.camera_dir(), self._photo_taken)

    def pick_photo(self) -> None:
        """A photo already on the device (the gallery, a download): the platform's picker."""
        self.ctx.platform.camera.pick_photo(self.ctx.camera_dir(), self._photo_taken)

    def _photo_taken(self, path: Path | None) -> None:
        """Lighten the photo off the UI thread (a 12 MP photo takes a moment), then seal
        it in the store on the UI thread (the store's connection lives there)."""
        if path is None:
            return
        self.ok(self.t("intake.photo_working"))

        def done(prepared: PreparedPhoto | None, error: BaseException | None) -> None:
            if isinstance(error, UserError):
                self.fail(error)
                return
            if prepared is None or error is not None:
                self.fail(UserError(str(error)))
                return
            try:
                self.model.keep_photo(prepared, path)
            except (OSError, VaultError, StoreError) as failure:
                self.fail(UserError(str(failure)))
                return
            self.ok(
                self.t(
                    "intake.photo_light",
                    name=prepared.filename,
                    before=fmt_bytes(prepared.original_size),
                    after=fmt_bytes(len(prepared.data)),
                )
            )
            self._render_photos()
            self.keep_draft()

        self.photo_job = in_background(lambda: self.model.prepare_photo(path), done)

    def _remove_photo(self, index: int) -> None:
        self.model.remove_photo(index)
        self._render_photos()

    def toggle_verification(self) -> None:
        """The officer knows at intake that verification is needed (or not)."""
        self.model.verification_needed = not self.model.verification_needed
        self._render_review()

    def save(self) -> None:
        try:
            receipt = self.model.save()
        except UserError as error:
            self.render()
            if self.ids.steps.current == "form":
                self._show_form_errors(error.errors)
            else:
                self._show_field_errors(error.errors)
            self.refuse(error, self.model.step_errors)
            return
        self.keep_draft()  # saved: the draft goes at once (a kill now must not bring it back)
        self.ok(self.t("common.saved") + " · " + receipt.receipt_number)
        self.app.runner.poke()
        self.app.refresh_status()
        self.render()

    def another(self) -> None:
        self.prepare(fresh=True)
        self.render()

    def open_dossier(self) -> None:
        receipt = self.model.receipt
        if receipt is not None:
            self.app.go("dossier", dossier_id=receipt.dossier_id)

    def export_pdf(self) -> None:
        receipt = self.model.receipt
        if receipt is not None:
            self.export_receipt(receipt.dossier_id)

    def steps(self) -> tuple[str, ...]:
        return self.model.steps()


def _as_typed_date(value: str) -> str:
    """A stored ``YYYY-MM-DD`` shown the Vietnamese way; anything else as it is."""
    parts = value.split("-")
    if len(parts) == 3 and len(parts[0]) == 4 and all(p.isdigit() for p in parts):
        return f"{parts[2]}/{parts[1]}/{parts[0]}"
    return value


load_kv(__file__)
