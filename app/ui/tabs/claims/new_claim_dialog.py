"""“New claim from a visit”: the coded visits no primary claim bills yet, oldest first; one
click makes the claim to the coverage that is primary on the date of service."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.claims import ClaimService
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.widgets.form import note

COLUMNS = ("Visit date", "Patient", "MRN", "Visit")
LIMIT = 500


class NewClaimDialog(QDialog):
    created = Signal(object)  # the ClaimView made

    def __init__(self, *, claims: ClaimService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New claim from a visit")
        self._claims = claims
        self.visits: list[tuple[int, object, str, str]] = []
        self.table = read_only_table(COLUMNS, stretch=1)
        self.table.doubleClicked.connect(lambda _i: self.make())
        self.empty = QLabel("No coded visit is waiting for a claim. Code visits in the Coding "
                            "tab first.")
        self.make_button = QPushButton("Make the primary claim")
        self.make_button.setDefault(True)
        self.make_button.clicked.connect(self.make)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.make_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note("Coded visits with charges not yet on a claim to the primary "
                              "payer, oldest first. The claim goes to the coverage that is "
                              "primary on the visit date, with every charge line not billed "
                              "yet."))
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(640, 480)
        self.reload()

    def reload(self) -> None:
        try:
            self.visits = self._claims.billable_encounters(LIMIT)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            self.visits = []
        fill_table(self.table, [(date_text(d), name, mrn, str(eid))  # type: ignore[arg-type]
                                for eid, d, name, mrn in self.visits], right=(3,))
        self.empty.setVisible(not self.visits)
        self.make_button.setEnabled(bool(self.visits))
        if self.visits:
            self.table.selectRow(0)

    def make(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.visits):
            return
        try:
            view = self._claims.create_primary(self.visits[row][0])
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            self.reload()
            return
        self.created.emit(view)
        self.accept()
