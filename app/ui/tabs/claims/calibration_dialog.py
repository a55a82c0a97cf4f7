"""Printer calibration for the red 1500 forms, per workstation and printer: print (or look at)
the alignment page with the offsets being tried, read where its marks fall on a blank red
form, and save the offsets that put them in the boxes. Saved in this computer's settings,
not the clinic database (each printer pulls paper differently)."""

from __future__ import annotations

from typing import Any

from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.formats.claim_data import Printing
from app.services.printers import DEFAULT_PRINTER, LIMIT, PrinterCalibration
from app.services.submissions import SubmissionService
from app.ui.errors import show_error
from app.ui.tabs.claims import printing
from app.ui.tabs.claims.preview_dialog import PdfPreviewDialog
from app.ui.widgets.form import note


def printer_names(calibration: PrinterCalibration) -> list[str]:
    """This computer's printers, the default first, then any only known from saved offsets."""
    default = QPrinterInfo.defaultPrinterName()
    names = [default] if default else []
    for name in [*QPrinterInfo.availablePrinterNames(), *calibration.printers()]:
        if name and name not in names:
            names.append(name)
    return names or [DEFAULT_PRINTER]


def _offset_spin(suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(-LIMIT, LIMIT)
    spin.setSuffix(suffix)
    spin.setFixedWidth(220)
    return spin


class CalibrationDialog(QDialog):
    def __init__(self, *, calibration: PrinterCalibration, submissions: SubmissionService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Printer calibration")
        self._calibration, self._submissions = calibration, submissions
        self.dialog: Any = None
        self.printer_combo = QComboBox()
        self.printer_combo.setEditable(True)
        self.printer_combo.addItems(printer_names(calibration))
        self.printer_combo.setMinimumWidth(320)
        self.printer_combo.currentTextChanged.connect(self._load)
        self.x_spin = _offset_spin(" tenths of an inch")
        self.y_spin = _offset_spin(" tenths of an inch")
        self.saved_label = QLabel()
        self._build()
        self._load(self.printer_combo.currentText())

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("Printer:", self.printer_combo)
        form.addRow("Move right by:", self.x_spin)
        form.addRow("Move down by:", self.y_spin)
        tests = QHBoxLayout()
        for text, slot in (("Preview test page", self.preview),
                           ("Print test page…", self.print_test)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            tests.addWidget(button)
        tests.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note(
            "Print the test page on a blank red 1500 form with the offsets below, and read "
            "on its scales how far the marks fall from the boxes. Negative numbers move the "
            "print left or up. Try again until the marks sit in the boxes, then save: the "
            "offsets are kept on this computer for this printer."))
        layout.addLayout(form)
        layout.addLayout(tests)
        layout.addWidget(self.saved_label)
        layout.addWidget(buttons)
        self.resize(620, 300)

    @property
    def printing(self) -> Printing:
        return Printing(self.x_spin.value(), self.y_spin.value())

    def _load(self, name: str) -> None:
        saved = self._calibration.get(name)
        self.x_spin.setValue(saved.offset_x_tenths)
        self.y_spin.setValue(saved.offset_y_tenths)
        self.saved_label.clear()

    def preview(self) -> None:
        offsets = self.printing
        self.dialog = PdfPreviewDialog("Alignment test page",
                                       lambda _m: self._submissions.alignment_page(offsets),
                                       parent=self)
        if self.dialog.document is None:  # it could not render; the presenter said why
            self.dialog.deleteLater()
            self.dialog = None
            return
        self.dialog.open()

    def print_test(self) -> None:
        printer = printing.choose_printer(self, "Print the alignment test page")
        if printer is None:
            return
        try:
            printing.print_pdf(self._submissions.alignment_page(self.printing), printer)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        if printer.printerName():
            self.printer_combo.blockSignals(True)
            self.printer_combo.setCurrentText(printer.printerName())
            self.printer_combo.blockSignals(False)
        self.saved_label.setText("Test page sent. Save the offsets when the marks sit in the "
                                 "boxes.")

    def save(self) -> None:
        name = self.printer_combo.currentText().strip()
        try:
            self._calibration.save(name, self.x_spin.value(), self.y_spin.value())
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.saved_label.setText(f"Saved for {name or DEFAULT_PRINTER} on this computer.")
