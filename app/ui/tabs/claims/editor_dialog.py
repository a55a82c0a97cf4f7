"""The claim editor: the claim-level fields (boxes 10–23, 27, 29), its lines with split and
move, the scrubber's findings with a way to fix each, the steps of its life, and the status
buttons. Everything goes through `ClaimService`; a claim that has been sent is shown read-only
and is corrected by a replacement or void.

Open it with `open()`; it never blocks. Unsaved field changes are saved first whenever an
action needs the stored claim (check, ready, preview, moving lines)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import ConflictError, ValidationError
from app.services.claims import ClaimView
from app.services.scrubber import Fix
from app.services.submissions import MODES
from app.ui.errors import show_error
from app.ui.tabs.claims import (
    MODE_LABELS,
    STATUS_COLOURS,
    asks,
    fill_table,
    frequency_text,
    read_only_table,
    status_text,
)
from app.ui.tabs.claims.calls_panel import CallsPanel
from app.ui.tabs.claims.fixes import FixOpener
from app.ui.tabs.claims.header_form import COLUMN_STARTS, form_values, header_from, header_specs
from app.ui.tabs.claims.lines_panel import LinesPanel
from app.ui.tabs.claims.preview_dialog import PdfPreviewDialog
from app.ui.tabs.claims.scrub_panel import ScrubPanel
from app.ui.tabs.claims.services import ClaimsServices
from app.ui.tabs.coding import ERROR_COLOUR, money_text
from app.ui.widgets.form import FormWidget, heading

SEQUENCE_LABELS = {"P": "primary", "S": "secondary", "T": "tertiary"}
HISTORY_COLUMNS = ("When", "Status", "By", "What happened")
SENT = ("submitted", "accepted", "paid", "denied")  # the payer has it: replace or void


class ClaimEditor(QDialog):
    changed = Signal()  # a claim changed (or a new one was made): lists should re-read
    openEncounter = Signal(int)  # the clerk wants to code this visit

    def __init__(self, sv: ClaimsServices, claim_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.view: ClaimView | None = None
        self.form = FormWidget(())
        self.fixes = FixOpener(sv, self)
        self.dialog: Any = None
        self._build()
        self.resize(1240, 840)
        self.load(claim_id)

    # --- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        self.title = heading("")
        self.status_label = QLabel()
        self.subtitle = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.lines = LinesPanel()
        self.lines.splitRequested.connect(self.split)
        self.lines.moveRequested.connect(self.move)
        self.history = read_only_table(HISTORY_COLUMNS)
        self.scrub = ScrubPanel()
        self.scrub.fixRequested.connect(self.fix)
        self.details = QScrollArea()
        self.details.setWidgetResizable(True)
        self.tabs = QTabWidget()
        for page, text in ((self.details, "Claim details"), (self.lines, "Lines"),
                           (self.history, "History")):
            self.tabs.addTab(page, text)
        self.calls = CallsPanel(self._sv.calls) if self._sv.calls is not None else None
        if self.calls is not None:
            self.tabs.addTab(self.calls, "Payer calls")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tabs)
        split.addWidget(self.scrub)
        split.setSizes([520, 220])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.status_label)
        layout.addLayout(top)
        layout.addWidget(self.subtitle)
        layout.addLayout(self._actions())
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        layout.addWidget(close)

    def _button(self, text: str, slot: Any, tip: str = "") -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda _c=False: slot())
        return button

    def _actions(self) -> QHBoxLayout:
        self.save_button = self._button("Save", self.save)
        self.check_button = self._button("Check", self.check, "Run the scrubber again")
        self.ready_button = self._button("Mark ready", self.mark_ready,
                                         "Ready to print or send, when no error is found")
        self.draft_button = self._button("Back to draft", self.mark_draft,
                                         "Hold the claim back from the next batch")
        self.preview_button = self._button("Preview form…", self.preview,
                                           "The 1500 as it would print")
        self.replace_button = self._button("Replace…", lambda: self.new_version("7"),
                                           "A corrected claim (frequency 7) to the payer")
        self.void_button = self._button("Void…", lambda: self.new_version("8"),
                                        "Ask the payer to cancel this claim (frequency 8)")
        row = QHBoxLayout()
        for b in (self.save_button, self.check_button, self.ready_button, self.draft_button,
                  self.preview_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.replace_button)
        row.addWidget(self.void_button)
        return row

    # --- showing -------------------------------------------------------------------------------
    def load(self, claim_id: int) -> None:
        """Read a claim (audited) and show it, checked when it is still open."""
        try:
            view = self._sv.claims.get(claim_id)
            providers = self._sv.directory.providers()
            facilities = self._sv.directory.facilities()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.form = FormWidget(header_specs(view.header, providers, facilities),
                               problem_width=200, split_at=COLUMN_STARTS)
        box = QWidget()
        column = QVBoxLayout(box)
        column.addWidget(self.form)
        column.addStretch(1)  # the fields keep their height; spare room stays below
        self.details.setWidget(box)
        self._show(view)
        self._say_why_rejected(view)
        self._check_or_explain()

    def _show(self, view: ClaimView) -> None:
        self.view = view
        self.setWindowTitle(f"Claim {view.number}")
        self.title.setText(f"Claim {view.number} · {view.patient_name} · MRN {view.mrn}")
        self.status_label.setText(status_text(view.status))
        colour = STATUS_COLOURS.get(view.status, "#000000")
        self.status_label.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 14pt;")
        self.subtitle.setText(self._summary(view))
        self.form.set_values(form_values(view.header))
        self.lines.show_claim(view)
        self.tabs.setTabText(1, f"Lines ({len(view.lines)})")
        fill_table(self.history, [(f"{h.at.astimezone():%m/%d/%Y %H:%M}", status_text(h.status),
                                   h.by, h.detail) for h in view.history])
        if self.calls is not None:
            self.tabs.setTabText(3, f"Payer calls ({self.calls.show_claim(view.id)})")
        self._enable(view)

    @staticmethod
    def _summary(view: ClaimView) -> str:
        replaces = (f" · replaces claim {view.replaces_claim_id}" if view.replaces_claim_id
                    else "")
        payer_number = (f" · payer's number {view.payer_claim_number}"
                        if view.payer_claim_number else "")
        return (f"To {view.payer_name} ({SEQUENCE_LABELS.get(view.sequence, view.sequence)}) · "
                f"{frequency_text(view.frequency)}{replaces} · {len(view.lines)} line(s) · "
                f"total {money_text(view.total)}{payer_number}")

    def _enable(self, view: ClaimView) -> None:
        editable = view.is_open
        self.form.set_editable(editable)
        self.lines.set_editable(editable)
        for b in (self.save_button, self.check_button):
            b.setEnabled(editable)
        self.ready_button.setEnabled(view.status in ("draft", "rejected"))
        self.draft_button.setEnabled(view.status == "ready")
        for b in (self.replace_button, self.void_button):
            b.setVisible(view.status in SENT)

    def _say_why_rejected(self, view: ClaimView) -> None:
        """A rejected claim opens with the reason it came back, to fix it here."""
        reason = next((h.detail for h in reversed(view.history) if h.status == "rejected"), "")
        self._note(f"{reason} Correct the claim, check it and mark it ready again."
                   if view.status == "rejected" and reason else "",
                   problem=view.status == "rejected")

    def _note(self, text: str, problem: bool = False) -> None:
        self.message.setStyleSheet(f"color: {ERROR_COLOUR};" if problem else "")
        self.message.setText(text)

    def _check_or_explain(self) -> None:
        view = self.view
        if view is None:
            return
        if view.is_open:
            self.check(save_first=False)
        else:
            self.scrub.show_note(f"This claim is {status_text(view.status).lower()}: what was "
                                 "sent cannot change. Use Replace… or Void… to correct it.")

    # --- saving --------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        if self.view is None or not self.view.is_open:
            return False
        if self.form.input_problems():
            return True
        return header_from(self.form.values()) != self.view.header

    def save(self) -> bool:
        """Save the fields; problems show under them and nothing is saved."""
        if self.view is None:
            return False
        self.form.clear_problems()
        if unreadable := self.form.input_problems():
            return self._refused(unreadable)
        header = header_from(self.form.values())
        try:
            view = self._sv.claims.update(self.view.id, self.view.version, header)
        except ValidationError as exc:
            return self._refused(exc.problems)
        except Exception as exc:  # noqa: BLE001 - conflicts reload; the presenter shows it
            self._failed(exc)
            return False
        self._changed(view, f"Saved at {datetime.now():%H:%M}.")
        return True

    def _refused(self, problems: dict[str, str]) -> bool:
        self.form.show_problems(problems)
        self.tabs.setCurrentWidget(self.details)
        first = next((a for a in self.form.editors if a in problems), None)
        if first:
            self.form.editors[first].setFocus()
        return False

    def _commit(self) -> bool:
        return not self.is_dirty() or self.save()

    def _failed(self, exc: BaseException) -> None:
        show_error(self, exc)
        if isinstance(exc, ConflictError) and self.view is not None:
            self.load(self.view.id)

    def _changed(self, view: ClaimView, message: str) -> None:
        self._show(view)
        self._note(message)
        self.changed.emit()
        if view.is_open:
            self.check(save_first=False)

    def _call(self, fn: Any) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - conflicts reload; the presenter shows it
            self._failed(exc)
            return None

    # --- status --------------------------------------------------------------------------------
    def check(self, save_first: bool = True) -> None:
        """Run the scrubber on the stored claim (after saving what was typed)."""
        if self.view is None or (save_first and not self._commit()):
            return
        issues = self._call(lambda: self._sv.claims.scrub(self.view.id))
        if issues is not None:
            self.scrub.show_issues(issues, can_fix=self.view.is_open)

    def mark_ready(self) -> None:
        if self.view is None or not self._commit():
            return
        self.check(save_first=False)
        if any(i.blocking for i in self.scrub.issues):
            self._note("Not marked ready: fix the errors listed below first.", problem=True)
            return
        view = self._call(lambda: self._sv.claims.mark_ready(self.view.id, self.view.version))
        if view is not None:
            self._changed(view, "Marked ready: it goes out with the next print job or batch.")

    def mark_draft(self) -> None:
        if self.view is None or not self._commit():
            return
        view = self._call(lambda: self._sv.claims.mark_draft(self.view.id, self.view.version))
        if view is not None:
            self._changed(view, "Back to draft: it stays out of the next batch.")

    def new_version(self, frequency: str) -> None:
        """A replacement (7) or void (8) of a sent claim, opened here when made."""
        view = self.view
        if view is None:
            return
        what = "replacement" if frequency == "7" else "void"
        number = asks.payer_number(self, view, what)
        if number is None:
            return
        made = self._call(lambda: self._sv.claims.new_version(view.id, frequency, number))
        if made is not None:
            self.changed.emit()
            self.load(made.id)
            self._note(f"This is the {what} of claim {view.number}: check it, mark it ready "
                       "and send it.")

    def preview(self) -> None:
        if self.view is None or not self._commit():
            return
        claim_id = self.view.id
        self.dialog = PdfPreviewDialog(
            f"Claim {self.view.number} on the 1500 form",
            lambda mode: self._sv.submissions.preview_pdf([claim_id], mode),
            {m: MODE_LABELS[m] for m in MODES}, "form", self)
        if self.dialog.document is None:  # it could not render; the presenter said why
            self.dialog.deleteLater()
            self.dialog = None
            return
        self.dialog.open()

    # --- lines ---------------------------------------------------------------------------------
    def split(self, line_ids: list[int]) -> None:
        if self.view is None or not line_ids or not self._commit():
            return
        moved = self._call(lambda: self._sv.claims.move_lines(self.view.id, self.view.version,
                                                              line_ids, None))
        if moved is not None:
            src, dst = moved
            self._changed(src, f"{len(line_ids)} line(s) moved to the new claim {dst.number}.")

    def move(self, line_ids: list[int]) -> None:
        view = self.view
        if view is None or not line_ids or not self._commit():
            return
        rows = self._call(lambda: self._sv.claims.for_patient(view.patient_id)) or []
        target = asks.move_target(self, view, rows)
        if target is None:
            return
        moved = self._call(lambda: self._sv.claims.move_lines(view.id, view.version, line_ids,
                                                              target.id))
        if moved is not None:
            self._changed(moved[0], f"{len(line_ids)} line(s) moved to claim {target.number}.")

    # --- fixing --------------------------------------------------------------------------------
    def fix(self, fix: Fix) -> None:
        view = self.view
        if view is None:
            return
        if fix.kind == "claim":
            self.focus_field(fix.field)
        elif fix.kind == "coding":
            self.code_visit(fix.target_id or view.encounter_id)
        elif self.fixes.handles(fix.kind):  # the claim's unsaved edits stay as they are
            dialog = self._call(lambda: self.fixes.open(fix, view))
            if dialog is not None:
                self.dialog = dialog
                dialog.saved.connect(lambda _r: self.check(save_first=False))

    def focus_field(self, field: str) -> None:
        """Bring the claim's own field (or its lines) in front of the clerk."""
        if field == "lines":
            self.tabs.setCurrentWidget(self.lines)
            self.lines.table.setFocus()
        elif field in self.form.editors:
            self.tabs.setCurrentWidget(self.details)
            editor = self.form.editors[field]
            self.details.ensureWidgetVisible(editor)
            editor.setFocus()
            if isinstance(editor, QLineEdit):
                editor.selectAll()
        elif field == "timely":
            QMessageBox.information(self, "Timely filing", "Nothing on the claim changes the "
                                    "filing deadline: it runs from the first date of service "
                                    "for the payer's timely filing days (Admin → Payers).")
        else:
            self.tabs.setCurrentWidget(self.details)

    def code_visit(self, encounter_id: int | None) -> None:
        """Close the editor (after saving) and ask for the Coding tab on the visit."""
        if encounter_id is None:
            QMessageBox.information(self, "Coding", "This claim has no visit to code.")
            return
        if self._commit():
            self.accept()
            self.openEncounter.emit(encounter_id)

    def reject(self) -> None:
        if self.is_dirty() and QMessageBox.question(
                self, "Unsaved changes", "Close without saving the changes to this claim?"
                ) != QMessageBox.StandardButton.Yes:
            return
        super().reject()
