"""The claim editor's service lines (box 24 / 837P loop 2400) with the diagnoses they point
at, and the two ways to regroup them: split the chosen lines to a new claim, or move them to
another open claim of the same patient."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.services.claims import LETTERS, ClaimView
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import money_text, quantity_text

COLUMNS = ("Line", "DOS", "POS", "Code", "Modifiers", "Pointers", "Units", "Charge",
           "Control number")
RIGHT_COLUMNS = (0, 6, 7)


class LinesPanel(QWidget):
    splitRequested = Signal(list)  # claim line ids
    moveRequested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_ids: list[int] = []
        self.diagnoses = QLabel()
        self.diagnoses.setWordWrap(True)
        self.table = read_only_table(COLUMNS, multi=True)
        self.table.itemSelectionChanged.connect(self._enable)
        self.split_button = QPushButton("Split to a new claim")
        self.split_button.setToolTip("The chosen lines go to a new claim to the same payer")
        self.split_button.clicked.connect(lambda: self.splitRequested.emit(self.selected_ids()))
        self.move_button = QPushButton("Move to claim…")
        self.move_button.setToolTip("The chosen lines go to another open claim of this patient")
        self.move_button.clicked.connect(lambda: self.moveRequested.emit(self.selected_ids()))
        self._editable = False
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Choose lines (Ctrl-click for several), then:"))
        buttons.addWidget(self.split_button)
        buttons.addWidget(self.move_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.diagnoses)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def show_claim(self, view: ClaimView) -> None:
        codes = "   ".join(f"{LETTERS[i]}  {code}" for i, code in enumerate(view.diagnoses))
        self.diagnoses.setText(f"Diagnoses (box 21):   {codes or 'none'}")
        self.line_ids = [ln.id for ln in view.lines]
        fill_table(self.table, [
            (str(ln.line_no), date_text(ln.dos), ln.pos, ln.code, " ".join(ln.modifiers),
             ln.pointers, quantity_text(ln.units), money_text(ln.charge), ln.control_number)
            for ln in view.lines], right=RIGHT_COLUMNS)
        self._enable()

    def set_editable(self, editable: bool) -> None:
        self._editable = editable
        self._enable()

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.line_ids[r] for r in rows if r < len(self.line_ids)]

    def select(self, rows: list[int]) -> None:
        """Choose these rows (as a Ctrl-click would)."""
        model, selection = self.table.model(), self.table.selectionModel()
        selection.clearSelection()
        for r in rows:
            selection.select(model.index(r, 0), QItemSelectionModel.SelectionFlag.Select
                             | QItemSelectionModel.SelectionFlag.Rows)

    def _enable(self) -> None:
        chosen = len(self.selected_ids())
        # A claim keeps at least one line.
        usable = self._editable and 0 < chosen < len(self.line_ids)
        self.split_button.setEnabled(usable)
        self.move_button.setEnabled(usable)
