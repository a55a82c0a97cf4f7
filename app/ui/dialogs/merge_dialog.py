"""Merge two records of the same person (admin only): pick the record to keep and the
duplicate, read what will happen, merge. The service moves every child record, retires the
duplicate and audits it; the audit event number is what an admin gives to undo it.
Open it with `open()`; emits `merged(MergeResult)` after a merge."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.services.patients import MergeResult, PatientRow, PatientService, mask_ssn
from app.ui.errors import show_error
from app.ui.table_models.patient_table_model import row_name

PICK_LIMIT = 30
DEBOUNCE_MS = 150
WARNING = (
    "<b>What happens:</b> everything recorded for the duplicate (history, documents, coverage, "
    "claims and payments) moves to the record you keep, and the duplicate no longer appears in "
    "searches. Its demographics are not copied: correct the kept record first if needed. "
    "The merge is written to the audit log; an administrator can undo it with "
    "<i>Undo a merge…</i> and the audit event number shown afterwards.")


def describe(row: PatientRow) -> str:
    ssn = mask_ssn(row.ssn_last4)
    return f"{row.mrn} · {row_name(row)} · DOB {row.dob:%m/%d/%Y}" + (f" · SSN {ssn}" if ssn
                                                                     else "")


def describe_html(row: PatientRow) -> str:
    """The same on two lines (name, then DOB and SSN), so a narrow label never splits an SSN."""
    ssn = mask_ssn(row.ssn_last4)
    second = f"DOB {row.dob:%m/%d/%Y}" + (f" · SSN {ssn}" if ssn else "")
    return f"{html.escape(row.mrn)} · {html.escape(row_name(row))}<br>{second}"


class PatientPicker(QGroupBox):
    """A search box and a short list of matches; `chosen` is the patient picked."""

    changed = Signal()

    def __init__(self, title: str, patients: PatientService, chosen: PatientRow | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self._patients = patients
        self.chosen: PatientRow | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Name, DOB (MM/DD/YYYY), MRN or phone")
        self.matches = QListWidget()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._timer.start)
        self.matches.currentItemChanged.connect(self._picked)
        layout = QVBoxLayout(self)
        for w in (self.search, self.matches, self.label):
            layout.addWidget(w)
        self.choose(chosen)

    def run_search(self) -> None:
        self.matches.clear()
        text = self.search.text().strip()
        if not text:
            return
        try:
            rows = self._patients.search(text, 0, PICK_LIMIT)
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
            return
        for row in rows:
            item = QListWidgetItem(describe(row))
            item.setData(Qt.ItemDataRole.UserRole, row)
            self.matches.addItem(item)

    def _picked(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.choose(item.data(Qt.ItemDataRole.UserRole))

    def choose(self, row: PatientRow | None) -> None:
        self.chosen = row
        self.label.setText(f"<b>Chosen:</b> {describe_html(row)}" if row
                           else "Nobody chosen yet.")
        self.changed.emit()


class MergeDialog(QDialog):
    merged = Signal(object)

    def __init__(self, *, patients: PatientService, keep: PatientRow | None = None,
                 duplicate: PatientRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Merge duplicate patients")
        self._patients = patients
        self.keep = PatientPicker("1. The record to keep", patients, keep)
        self.duplicate = PatientPicker("2. The duplicate (merged into the kept record)",
                                       patients, duplicate)
        warning = QLabel(WARNING)
        warning.setWordWrap(True)
        warning.setStyleSheet("background: #fff8e1; border: 1px solid #f9a825; padding: 6px;")
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.merge_button = buttons.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.clicked.connect(self.merge)
        buttons.rejected.connect(self.reject)
        pickers = QHBoxLayout()
        pickers.addWidget(self.keep)
        pickers.addWidget(self.duplicate)
        layout = QVBoxLayout(self)
        layout.addLayout(pickers, 1)
        for w in (warning, self.problem, buttons):
            layout.addWidget(w)
        for picker in (self.keep, self.duplicate):
            picker.changed.connect(self._update)
        self._update()
        self.resize(900, 520)

    def _update(self) -> None:
        k, d = self.keep.chosen, self.duplicate.chosen
        same = k is not None and d is not None and k.id == d.id
        self.problem.setText("Choose two different records." if same else "")
        self.merge_button.setEnabled(k is not None and d is not None and not same)

    def merge(self) -> None:
        k, d = self.keep.chosen, self.duplicate.chosen
        if k is None or d is None:
            return
        try:
            result: MergeResult = self._patients.merge(k.id, d.id)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        moved = sum(result.moved.values())
        QMessageBox.information(
            self, "Patients merged",
            f"{d.mrn} was merged into {k.mrn}; {moved} record(s) moved.\n\n"
            f"Audit event number: {result.audit_seq}. An administrator can undo this merge "
            "with “Undo a merge…” and that number.")
        self.merged.emit(result)
        self.accept()
