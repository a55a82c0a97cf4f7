"""Coding one encounter: its header, the provider's quick picks, the diagnoses (A–L), the
procedure lines, the code edits (live: `CodingService.preview` 300 ms after the last change),
the charges the ledger holds for it, and Save / Revert.

A preview is a handful of indexed reads (a few ms), so it runs on the GUI thread; the timer
only keeps it from running on every keystroke.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import ConflictError, UserError
from app.formats.code_edits import ERROR
from app.services.code_sets import CodeSetService
from app.services.coding import STATUS_LABELS, CodingDraft, CodingService, EncounterCoding
from app.services.context import UserContext
from app.services.directory import DirectoryService
from app.services.favorites import DIAGNOSES, FavoriteRow, FavoriteService, list_of
from app.services.ledger import LedgerService
from app.services.permissions import Permission
from app.services.procedure_codes import ProcedureCodeService
from app.ui.errors import show_error
from app.ui.tabs.coding import ERROR_COLOUR, OK_COLOUR
from app.ui.tabs.coding.charges_posted import ChargesPosted
from app.ui.tabs.coding.code_picker import PickedCode, diagnosis_search, procedure_search
from app.ui.tabs.coding.diagnoses_list import DiagnosesList, DiagnosisItem
from app.ui.tabs.coding.edits_panel import EditsPanel
from app.ui.tabs.coding.encounter_header import EncounterHeader
from app.ui.tabs.coding.lines_panel import LinesPanel
from app.ui.tabs.coding.lines_table import LineState
from app.ui.tabs.coding.quick_picks import QuickPicks

PREVIEW_MS = 300
NOTHING_OPEN = "Choose an encounter in the work queue to code it."
READ_ONLY = "Read only: your role can see this coding but not change it."


@dataclass(frozen=True)
class PanelServices:
    """What the panel calls (the Coding tab hands it over)."""

    ctx: UserContext
    coding: CodingService
    code_sets: CodeSetService
    procedure_codes: ProcedureCodeService
    favorites: FavoriteService
    ledger: LedgerService
    directory: DirectoryService


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def save_summary(result: Any, kept_line_ids: set[int]) -> str:
    """'3 lines posted, 1 corrected; status: needs review — 2 edits to fix.'"""
    corrected = sum(1 for r in result.reversed if r.charge_line_id in kept_line_ids)
    removed = len(result.reversed) - corrected
    parts = [_plural(len(result.posted), "line") + " posted"] if result.posted else []
    parts += [f"{corrected} corrected"] if corrected else []
    parts += [f"{removed} removed"] if removed else []
    errors = sum(e.severity == ERROR for e in result.edits)
    status = STATUS_LABELS.get(result.status, result.status).lower()
    tail = f" — {_plural(errors, 'edit')} to fix" if errors else ""
    return (", ".join(parts) or "No charges changed") + f"; status: {status}{tail}."


class CodingPanel(QWidget):
    """`saved` fires with the re-read EncounterCoding after each save."""

    saved = Signal(object)

    def __init__(self, sv: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.can_code = sv.ctx.can(Permission.CODE_ENCOUNTERS)
        self.can_see_ledger = sv.ctx.can(Permission.VIEW_LEDGER)
        self.enc: EncounterCoding | None = None
        self._baseline: CodingDraft | None = None
        self._drug: dict[str, bool] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_MS)
        self._timer.timeout.connect(self.run_preview)
        self._build()
        self._show_nothing()

    # --- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        self.diagnoses = DiagnosesList(diagnosis_search(
            self._sv.code_sets, lambda: self.enc.dos if self.enc else None))
        self.lines = LinesPanel(self._procedure_search, lambda: len(self.diagnoses.items))
        self.edits = EditsPanel()
        self.charges = ChargesPosted()
        self.quick_picks = QuickPicks()
        self.header = EncounterHeader()
        self.diagnoses.changed.connect(self._changed)
        self.diagnoses.moved.connect(self.lines.model.remap_pointers)
        self.lines.changed.connect(self._changed)
        self.quick_picks.picked.connect(self.add_favorite)
        for w in (self.diagnoses, self.lines):
            w.set_read_only(not self.can_code)
        self.stack = QStackedWidget()
        self.empty = QLabel(NOTHING_OPEN)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self._content())
        QVBoxLayout(self).addWidget(self.stack)
        self._tab_order()

    def _tab_order(self) -> None:
        """Tab moves through the coding in the order a coder works: diagnoses, quick picks,
        lines, edits, then Save."""
        dx, ln = self.diagnoses, self.lines
        chain = [dx.table, dx.add_button, dx.remove_button, dx.up_button, dx.down_button,
                 self.quick_picks.diagnoses, self.quick_picks.procedures, ln.table,
                 ln.add_button, ln.code_button, ln.remove_button, self.results,
                 self.edits.table, self.charges.table, self.revert_button, self.save_button]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def _group(self, title: str, inner: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        QVBoxLayout(box).addWidget(inner)
        return box

    def _content(self) -> QWidget:
        self.picks_box = self._group("Quick picks", self.quick_picks)
        self.picks_box.setVisible(False)
        coding = QHBoxLayout()
        coding.addWidget(self._group("Diagnoses (A–L)", self.diagnoses), 5)
        coding.addWidget(self.picks_box, 4)
        # Edits and posted charges share the full width: the edits while coding, the
        # charges after a save (the page turns to them then).
        self.results = QTabWidget()
        self.results.addTab(self.edits, "Code edits")
        if self.can_see_ledger:
            self.results.addTab(self.charges, "Charges posted")
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(self.header)
        column.addLayout(coding)
        column.addWidget(self._group("Procedure lines", self.lines))
        column.addWidget(self.results)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(self._buttons())
        return page

    def _buttons(self) -> QHBoxLayout:
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Throw away the changes not saved yet.")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("Save and post charges")
        self.save_button.setToolTip("Save the coding; new or changed lines post their "
                                    "charges to the ledger (a change reverses the old charge).")
        self.save_button.clicked.connect(self.save)
        for b in (self.revert_button, self.save_button):
            b.setVisible(self.can_code)
        bar = QHBoxLayout()
        bar.addWidget(self.message, 1)
        bar.addWidget(self.revert_button)
        bar.addWidget(self.save_button)
        return bar

    # --- opening -------------------------------------------------------------------------------
    def open_encounter(self, encounter_id: int) -> bool:
        """Show an encounter (its open is audited by the service); False if it failed."""
        try:
            enc = self._sv.coding.open(encounter_id)
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
            return False
        self._show(enc)
        self._say("" if self.can_code else READ_ONLY)
        return True

    def _show(self, enc: EncounterCoding) -> None:
        self._timer.stop()
        self.enc = enc
        self.header.show_encounter(enc)
        self.diagnoses.set_items([DiagnosisItem(d.display, d.description, d.billable)
                                  for d in enc.diagnoses])
        self.lines.set_lines([self._line_state(ln) for ln in enc.lines])
        self._show_edits(enc.edits, {})
        self._load_quick_picks(enc)
        self._load_charges(enc)
        self._baseline = self.current_draft()
        self.stack.setCurrentIndex(1)

    def _line_state(self, ln: Any) -> LineState:
        return LineState(ln.code, ln.description, self._is_drug(ln.code), ln.modifiers,
                         ln.units, ln.pointers, ln.ndc, ln.ndc_unit, ln.ndc_quantity,
                         ln.charge, False, ln.charge, ln.id)

    def _is_drug(self, code: str) -> bool:
        if code not in self._drug:
            detail = self._sv.procedure_codes.get(code)
            self._drug[code] = bool(detail and detail.is_drug)
        return self._drug[code]

    def _load_quick_picks(self, enc: EncounterCoding) -> None:
        rows: list[FavoriteRow] = []
        provider_id = self._provider_id(enc) if self.can_code else None
        if provider_id is not None:
            try:
                rows = self._sv.favorites.list(provider_id)
            except UserError:
                rows = []  # no picks is not worth a message box while coding
        self.quick_picks.set_rows(rows)
        self.picks_box.setTitle(f"Quick picks of {enc.provider} (click to add)")
        self.picks_box.setVisible(bool(rows))

    def _provider_id(self, enc: EncounterCoding) -> int | None:
        return enc.provider_id

    def _load_charges(self, enc: EncounterCoding) -> None:
        if not self.can_see_ledger:
            return
        try:
            rows = self._sv.ledger.encounter_entries(enc.encounter_id)
        except UserError as exc:
            self.charges.show_entries([])
            self.charges.total_label.setText(str(exc))
            return
        self.charges.show_entries(rows)
        self.results.setTabText(1, f"Charges posted ({len(self.charges.entries)})")

    def _show_nothing(self) -> None:
        self.enc, self._baseline = None, None
        self.stack.setCurrentIndex(0)

    def clear(self) -> None:
        self._timer.stop()
        self._show_nothing()

    # --- editing -------------------------------------------------------------------------------
    def current_draft(self) -> CodingDraft:
        return CodingDraft(self.diagnoses.codes(), self.lines.model.drafts())

    def is_dirty(self) -> bool:
        return self.enc is not None and self.current_draft() != self._baseline

    def add_favorite(self, row: FavoriteRow) -> None:
        if list_of(row.system) == DIAGNOSES:
            self.diagnoses.add(DiagnosisItem(row.display_code, row.description, True))
        else:
            self.lines.add_picked(PickedCode(row.display_code, row.description, True,
                                             self._is_drug(row.code)))

    def _procedure_search(self) -> Any:
        return procedure_search(self._sv.procedure_codes, self.enc.dos if self.enc else None)

    def _changed(self) -> None:
        self._say("Changes not saved yet." if self.is_dirty() else "")
        self._timer.start()

    def run_preview(self) -> None:
        """Price the lines and check the edits of what is on screen (writes nothing)."""
        self._timer.stop()
        if self.enc is None:
            return
        try:
            preview = self._sv.coding.preview(self.enc.encounter_id, self.current_draft())
        except UserError as exc:
            self.edits.show_message(str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        self.lines.model.set_priced(preview.charges)
        self.lines.refresh_total()
        self._show_edits(preview.edits, preview.problems)

    def _show_edits(self, edits: Any, problems: Any) -> None:
        draft = self.current_draft()
        self.edits.show_edits(edits, problems, not (draft.diagnoses or draft.lines))
        n = len(edits) + len(problems)
        self.results.setTabText(0, f"Code edits ({n})" if n else "Code edits")
        if n:
            self.results.setCurrentIndex(0)

    # --- saving --------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save and post; True when the encounter on screen is now saved."""
        if self.enc is None:
            return True
        if not self.is_dirty():
            self._say("Nothing has changed since the last save; nothing was posted.")
            return True
        draft, enc = self.current_draft(), self.enc
        try:
            result = self._sv.coding.save(enc.encounter_id, enc.version, draft)
        except ConflictError as exc:
            show_error(self, exc)
            self.open_encounter(enc.encounter_id)  # their work, as it is now
            return False
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return False
        kept = {ln.line_id for ln in draft.lines if ln.line_id is not None}
        if self.open_encounter(enc.encounter_id):
            self._say(save_summary(result, kept), "ok" if result.status == "coded" else "error")
            if self.can_see_ledger and result.status == "coded":
                self.results.setCurrentWidget(self.charges)  # warnings stay one click away
            if self.enc is not None:
                self.saved.emit(self.enc)
        return True

    def revert(self) -> None:
        if self.enc is None or not self.is_dirty():
            self._say("Nothing to revert: the coding is as saved.")
            return
        answer = QMessageBox.question(
            self, "Revert", "Throw away the changes you have not saved?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self._show(self.enc)
            self._say("Changes thrown away; this is the coding as saved.")

    def confirm_leave(self) -> bool:
        """Before another encounter replaces this one: save, discard or stay (False)."""
        if not self.is_dirty():
            return True
        answer = QMessageBox.question(
            self, "Unsaved coding",
            "You changed the coding of this encounter and have not saved it.\n"
            "Save it now? (No throws the changes away.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            return self.save() and not self.is_dirty()
        return answer == QMessageBox.StandardButton.No

    def _say(self, text: str, tone: str = "") -> None:
        """The line beside Save: plain, "ok" (green) or "error" (red)."""
        self.message.setText(text)
        colour = {"ok": OK_COLOUR, "error": ERROR_COLOUR}.get(tone)
        self.message.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")
