"""Writing an appeal of one claim (app.services.appeals): choose a letter template, read and
edit the letter drafted from the claim (its denial in words, the amounts, the payer's
address), then "Save and print…": the letter is kept exactly as it will print, tracked in the
Appeals queue, and its PDF saved where the clerk chooses (to print, fax or upload). The kept
letter can be shown again in the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.services.appeals import AppealRow
from app.ui.errors import show_error
from app.ui.tabs.claims.preview_dialog import PdfPreviewDialog
from app.ui.tabs.coding import ERROR_COLOUR, OK_COLOUR
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import heading, note

PDF_FILTER = "PDF files (*.pdf)"
FIELD_NAMES = {"template_key": "Template", "title": "Title", "text": "Letter"}
TEXT_COLUMNS = 96  # wide enough for the letter's longest lines at the screen's fixed font


class AppealDialog(QDialog):
    """Open it with `open()`. `saved` carries the `AppealRow` once the letter is kept."""

    saved = Signal(object)

    def __init__(self, sv: PaymentsServices, claim_id: int, claim_label: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.claim_id = claim_id
        self.label = claim_label or str(claim_id)
        self.appeal: AppealRow | None = None
        self.saved_to: Path | None = None
        self.preview: Any = None
        self._drafted = ""
        self._template = ""
        self.setWindowTitle(f"Appeal claim {self.label}")
        self._build()
        self.resize(960, 820)
        self._load_templates()

    # --- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Appeal claim {self.label}"))
        layout.addWidget(note("The letter below is drafted from the claim and the payer's "
                              "reasons. Read it and change anything before saving: it is "
                              "kept exactly as printed, and the Appeals queue follows it for "
                              "30 days."))
        layout.addLayout(self._choices())
        self.text = QPlainTextEdit()
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setMinimumWidth(self.text.fontMetrics().horizontalAdvance("M") * TEXT_COLUMNS)
        layout.addWidget(self.text, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        layout.addWidget(self._buttons())

    def _choices(self) -> QHBoxLayout:
        self.template_combo = QComboBox()
        self.template_combo.setMinimumWidth(260)
        self.template_combo.currentIndexChanged.connect(lambda _i: self.template_chosen())
        self.title_edit = QLineEdit()
        row = QHBoxLayout()
        row.addWidget(QLabel("Template:"))
        row.addWidget(self.template_combo)
        row.addSpacing(16)
        row.addWidget(QLabel("Title:"))
        row.addWidget(self.title_edit, 1)
        return row

    def _buttons(self) -> QDialogButtonBox:
        box = QDialogButtonBox()
        self.show_button = box.addButton("Show letter…", QDialogButtonBox.ButtonRole.ActionRole)
        self.show_button.clicked.connect(self.show_letter)
        self.show_button.hide()
        self.save_button: QPushButton = box.addButton(
            "Save and print…", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_and_print)
        self.close_button = box.addButton(QDialogButtonBox.StandardButton.Cancel)
        box.rejected.connect(self.reject)
        return box

    # --- drafting ----------------------------------------------------------------------------
    def _load_templates(self) -> None:
        try:
            templates = self._sv.appeals.templates()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.template_combo.blockSignals(True)
        for t in templates:
            self.template_combo.addItem(t.title, t.key)
        self.template_combo.blockSignals(False)
        self.template_chosen()

    def _edited(self) -> bool:
        return self.text.toPlainText() != self._drafted

    def template_chosen(self) -> None:
        """Draft from the chosen template; the clerk's edits are kept unless they agree."""
        key = str(self.template_combo.currentData() or "")
        if not key or key == self._template:
            return
        if self._edited() and QMessageBox.question(
                self, "Draft again?", "Draft the letter again from this template? Your "
                "changes to the letter will be lost.") != QMessageBox.StandardButton.Yes:
            self._choose(self._template)
            return
        try:
            title, text = self._sv.appeals.draft(self.claim_id, key)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            self._choose(self._template)
            return
        self._template, self._drafted = key, text
        self.title_edit.setText(title)
        self.text.setPlainText(text)

    def _choose(self, key: str) -> None:
        self.template_combo.blockSignals(True)
        self.template_combo.setCurrentIndex(max(self.template_combo.findData(key), 0))
        self.template_combo.blockSignals(False)

    # --- keeping and printing ----------------------------------------------------------------
    def _say(self, text: str, problem: bool = False) -> None:
        self.message.setStyleSheet(f"color: {ERROR_COLOUR if problem else OK_COLOUR};")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def save_and_print(self) -> None:
        """Keep the letter (once), then save its PDF where the clerk chooses."""
        if self.appeal is None and not self._keep():
            return
        self.save_pdf()

    def _keep(self) -> bool:
        try:
            self.appeal = self._sv.appeals.create(self.claim_id, self._template,
                                                  self.text.toPlainText(),
                                                  self.title_edit.text())
        except ValidationError as exc:
            self._say("Not saved: " + " ".join(
                f"{FIELD_NAMES.get(k, k)}: {m}" for k, m in exc.problems.items()), True)
            return False
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return False
        for w in (self.text, self.title_edit):
            w.setReadOnly(True)
        self.template_combo.setEnabled(False)
        self.save_button.setText("Save the PDF again…")
        self.show_button.show()
        self.close_button.setText("Close")
        self._say("The appeal is kept and the Appeals queue follows it.")
        self.saved.emit(self.appeal)
        return True

    def _pdf(self) -> bytes:
        assert self.appeal is not None
        return self._sv.appeals.pdf(self.appeal.id)

    def save_pdf(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save the appeal letter",
                                              f"appeal-claim-{self.label}.pdf", PDF_FILTER)
        if not name:
            self._say("The appeal is kept. Save its PDF now or later from here to print it.")
            return
        try:
            Path(name).write_bytes(self._pdf())
        except OSError as exc:
            self._say(f"{Path(name).name} could not be written ({exc.strerror}).", True)
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.saved_to = Path(name)
        self._say(f"The appeal is kept and its letter saved as {self.saved_to.name}: print "
                  "it and send it with the enclosures it lists.")

    def show_letter(self) -> None:
        """The kept letter as it prints (Qt PDF, nothing written to disk)."""
        if self.appeal is None:
            return
        self.preview = PdfPreviewDialog(self.appeal.title, lambda _mode: self._pdf(),
                                        parent=self)
        self.preview.open()
