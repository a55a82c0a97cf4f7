"""The Claims tab's "Submit" page: print the ready paper claims on the 1500 (at 100%, with
this workstation's offsets for the printer chosen), write the ready electronic claims to an
837P for the clearinghouse portal, read back the 999 / 277CA it returns, and work the claims
it rejected. Claims are marked submitted only once the print job was sent or the file written.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.submissions import MODES, AckResult, PaperBatch, SubmissionResult
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.claims import MODE_LABELS, fill_table, read_only_table
from app.ui.tabs.claims import printing as printing_module
from app.ui.tabs.claims.calibration_dialog import CalibrationDialog
from app.ui.tabs.claims.services import ClaimsServices
from app.ui.tabs.coding import ERROR_COLOUR, money_text
from app.ui.widgets.form import heading, note

QUEUE_COLUMNS = ("Claim", "Patient", "Why it was rejected")
SENT_COLUMNS = ("Batch", "When", "How", "Claims", "Total", "Interchange", "By")
ACK_COLUMNS = ("Claim", "Result", "Detail")
X12_FILTER = "X12 files (*.837 *.x12 *.txt *.edi);;All files (*)"
ACK_FILTER = "Acknowledgements (*.999 *.277 *.x12 *.txt *.edi);;All files (*)"


def _how(method: str, mode: str) -> str:
    if method == "electronic":
        return "837P file"
    return "Paper, whole form" if mode == "form" else "Paper, data only"


class SubmitPage(QWidget):
    openClaim = Signal(int)  # from the rejection queue

    def __init__(self, sv: ClaimsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.dialog: Any = None
        self.queue: list[tuple[int, int, str, str]] = []
        self.last_ack: AckResult | None = None
        self.pages_printed = 0
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Submit claims"))
        layout.addWidget(note("Claims marked ready go out from here: paper claims print on the "
                              "1500 form, electronic ones go in an 837P file to upload to "
                              "the clearinghouse portal. Import the 999 and 277CA files the "
                              "portal gives back to see what it accepted."))
        boxes = QHBoxLayout()
        boxes.addWidget(self._paper_box(), 3)
        boxes.addWidget(self._electronic_box(), 2)
        layout.addLayout(boxes)
        layout.addWidget(self._result_area())
        layout.addWidget(self._lists(), 1)
        self.reload()

    # --- construction ------------------------------------------------------------------------
    def _paper_box(self) -> QGroupBox:
        box = QGroupBox("Paper (CMS-1500)")
        self.paper_count = QLabel()
        self.mode_combo = QComboBox()
        for mode in MODES:
            self.mode_combo.addItem(MODE_LABELS[mode], mode)
        self.print_button = QPushButton("Print ready paper claims…")
        self.print_button.clicked.connect(self.print_paper)
        calibrate = QPushButton("Printer calibration…")
        calibrate.clicked.connect(self.calibrate)
        column = QVBoxLayout(box)
        column.addWidget(self.paper_count)
        row = QHBoxLayout()
        row.addWidget(QLabel("Print:"))
        row.addWidget(self.mode_combo)
        row.addStretch(1)
        column.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.print_button)
        row.addWidget(calibrate)
        row.addStretch(1)
        column.addLayout(row)
        return box

    def _electronic_box(self) -> QGroupBox:
        box = QGroupBox("Electronic (837P)")
        self.electronic_count = QLabel()
        self.export_button = QPushButton("Export 837P…")
        self.export_button.clicked.connect(self.export_837)
        self.import_button = QPushButton("Import 999 / 277CA…")
        self.import_button.clicked.connect(self.import_ack)
        column = QVBoxLayout(box)
        column.addWidget(self.electronic_count)
        column.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.export_button)
        row.addWidget(self.import_button)
        row.addStretch(1)
        column.addLayout(row)
        return box

    def _result_area(self) -> QWidget:
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ack_table = read_only_table(ACK_COLUMNS, stretch=2)
        self.ack_table.setWordWrap(True)
        self.ack_table.setMaximumHeight(150)
        self.ack_table.hide()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.result)
        column.addWidget(self.ack_table)
        return box

    def _lists(self) -> QSplitter:
        queue_box = QGroupBox("Rejected claims to work")
        self.queue_table = read_only_table(QUEUE_COLUMNS, stretch=2)
        self.queue_table.setWordWrap(True)
        self.queue_table.doubleClicked.connect(lambda _i: self.open_rejected())
        self.open_button = QPushButton("Open claim")
        self.open_button.clicked.connect(self.open_rejected)
        column = QVBoxLayout(queue_box)
        column.addWidget(self.queue_table, 1)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addStretch(1)
        column.addLayout(row)
        sent_box = QGroupBox("Sent: print jobs and 837P batches")
        self.sent_table = read_only_table(SENT_COLUMNS)
        QVBoxLayout(sent_box).addWidget(self.sent_table)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(queue_box)
        split.addWidget(sent_box)
        split.setSizes([560, 640])
        return split

    # --- showing -------------------------------------------------------------------------------
    def reload(self) -> None:
        claims = self._sv.claims
        try:
            paper, electronic = claims.count("ready", "paper"), claims.count("ready", "electronic")
            self.queue = claims.rejections()
            sent = self._sv.submissions.submissions()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.paper_count.setText(f"<b>{paper:,}</b> ready paper claim{'s' * (paper != 1)}")
        self.electronic_count.setText(f"<b>{electronic:,}</b> ready electronic "
                                      f"claim{'s' * (electronic != 1)}")
        self.print_button.setEnabled(paper > 0)
        self.export_button.setEnabled(electronic > 0)
        self.import_button.setEnabled(True)
        fill_table(self.queue_table, [(str(cid), name, reason)
                                      for _w, cid, name, reason in self.queue], right=(0,))
        self.queue_table.resizeRowsToContents()
        self.open_button.setEnabled(bool(self.queue))
        fill_table(self.sent_table, [
            (str(r.id), f"{r.created_at.astimezone():%m/%d/%Y %H:%M}",
             _how(r.method, r.print_mode), f"{r.claims:,}", money_text(r.total),
             r.control_number, r.created_by) for r in sent], right=(0, 3, 4))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.reload()

    def _say(self, text: str, problem: bool = False) -> None:
        self.result.setStyleSheet(f"color: {ERROR_COLOUR};" if problem else "")
        self.result.setText(text)

    def _failed(self, exc: BaseException) -> None:
        """A refusal the clerk can act on stays on the page (the 837P's problem list);
        anything else goes to the one presenter."""
        self._busy(False)
        if isinstance(exc, UserError):
            self._say(str(exc), problem=True)
        else:
            show_error(self, exc)

    def _busy(self, busy: bool) -> None:
        for b in (self.print_button, self.export_button, self.import_button):
            b.setEnabled(not busy)
        if not busy:
            self.reload()

    # --- paper -------------------------------------------------------------------------------
    def print_paper(self) -> None:
        """Choose the printer, render the ready paper claims with its offsets, print them
        at 100%, then mark them submitted. Cancelling the print dialog records nothing."""
        printer = printing_module.choose_printer(self, "Print ready paper claims")
        if printer is None:
            return
        mode = str(self.mode_combo.currentData())
        offsets = self._sv.calibration.get(printer.printerName())
        self._busy(True)
        self._say("Preparing the print job…")
        run_in_background(lambda: self._sv.submissions.paper_batch(None, mode, offsets),
                          lambda batch: self._print(batch, printer), self._failed,
                          parent=self, progress="Preparing the claims for printing…")

    def _print(self, batch: PaperBatch, printer: QPrinter) -> None:
        try:
            self.pages_printed = printing_module.print_pdf(batch.pdf, printer)
            result = self._sv.submissions.record_printed(batch)
        except Exception as exc:  # noqa: BLE001 - shown on the page or by the presenter
            self._failed(exc)
            return
        self._busy(False)
        self._say(f"Printed {result.claims:,} claim(s) on {self.pages_printed:,} page(s), "
                  f"total {money_text(result.total)} (print job {result.submission_id}). "
                  "They are marked submitted.")

    def calibrate(self) -> None:
        self.dialog = CalibrationDialog(calibration=self._sv.calibration,
                                        submissions=self._sv.submissions, parent=self)
        self.dialog.open()

    # --- electronic --------------------------------------------------------------------------
    def export_837(self) -> None:
        suggested = str(Path.home() / f"claims-{date.today():%Y%m%d}.837")
        name, _ = QFileDialog.getSaveFileName(self, "Save the 837P batch", suggested,
                                              X12_FILTER)
        if not name:
            return
        path = Path(name)
        self._busy(True)
        self._say("Checking the claims and writing the 837P…")
        run_in_background(lambda: self._sv.submissions.export_837(path), self._exported,
                          self._failed, parent=self,
                          progress="Checking the claims and writing the 837P…")

    def _exported(self, result: SubmissionResult) -> None:
        self._busy(False)
        where = result.path.name if result.path else "the file"
        self._say(f"Wrote {result.claims:,} claim(s), total {money_text(result.total)}, to "
                  f"{where} (interchange {result.control_number}). Upload it to the "
                  "clearinghouse portal, then import the 999 and 277CA it returns.")

    def import_ack(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose the 999 or 277CA file",
                                              str(Path.home()), ACK_FILTER)
        if not name:
            return
        try:
            result = self._sv.submissions.import_ack(Path(name))
        except Exception as exc:  # noqa: BLE001 - shown on the page or by the presenter
            self._failed(exc)
            return
        self.last_ack = result
        unmatched = (f" {len(result.unmatched)} claim(s) in it were not sent from here: "
                     + ", ".join(result.unmatched[:5]) + "." if result.unmatched else "")
        self._say(f"{result.kind} from {Path(name).name}: {result.accepted:,} accepted, "
                  f"{result.rejected:,} rejected.{unmatched}"
                  + (" Rejected claims are listed below to work." if result.rejected else ""))
        fill_table(self.ack_table, [(c.claim_number, "Accepted" if c.accepted else "Rejected",
                                     c.detail) for c in result.claims])
        self.ack_table.resizeRowsToContents()
        self.ack_table.setVisible(bool(result.claims))
        self.reload()

    # --- rejections --------------------------------------------------------------------------
    def open_rejected(self) -> None:
        row = self.queue_table.currentRow()
        if 0 <= row < len(self.queue):
            self.openClaim.emit(self.queue[row][1])
