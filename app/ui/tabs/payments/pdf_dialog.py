"""A PDF from the payments services (a receipt, a day sheet) shown in the app with Qt PDF,
with "Print…" (at 100%, through the system print dialog) and "Save PDF…". The bytes stay
in memory until the clerk chooses to save them; the dialog deletes itself when closed.
Also `dollars`, how an amount reads in a sentence on these pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel, QWidget

from app.errors import UserError
from app.ui.errors import show_error
from app.ui.tabs.claims import printing
from app.ui.tabs.claims.preview_dialog import PdfPreviewDialog
from app.ui.tabs.coding import ERROR_COLOUR

PDF_FILTER = "PDF files (*.pdf)"


def dollars(amount: Decimal) -> str:
    """Decimal('-1234.5') → '-$1,234.50' (for sentences; tables use money_text)."""
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def alarm(label: QLabel, text: str, bad: bool) -> None:
    """A figure that should be zero: red and bold while it is not."""
    label.setText(text)
    label.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;" if bad else "")


def save_pdf(parent: QWidget, title: str, filename: str, pdf: bytes) -> Path | None:
    """Ask where, write the bytes there; the path, or None when cancelled or not written."""
    name, _ = QFileDialog.getSaveFileName(parent, title, filename, PDF_FILTER)
    if not name:
        return None
    try:
        Path(name).write_bytes(pdf)
    except OSError as exc:
        show_error(parent, UserError(f"{Path(name).name} could not be written "
                                     f"({exc.strerror}); choose another folder."))
        return None
    return Path(name)


class PdfDialog(PdfPreviewDialog):
    """Shows `pdf`; "Print…" and "Save PDF…" beside Close. Open it with `open()`."""

    def __init__(self, title: str, pdf: bytes, filename: str,
                 parent: QWidget | None = None) -> None:
        self.pdf = pdf
        self.filename = filename
        self.saved_to: Path | None = None
        super().__init__(title, lambda _mode: self.pdf, parent=parent)
        box = self.findChild(QDialogButtonBox)
        assert box is not None
        self.print_button = box.addButton("Print…", QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.clicked.connect(self.print_pdf)
        self.save_button = box.addButton("Save PDF…", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self.save)
        self.resize(820, 760)

    def save(self) -> None:
        self.saved_to = save_pdf(self, self.windowTitle(), self.filename, self.pdf) \
            or self.saved_to

    def print_pdf(self) -> None:
        printer = printing.choose_printer(self, self.windowTitle())
        if printer is None:
            return
        try:
            printing.print_pdf(self.pdf, printer)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
