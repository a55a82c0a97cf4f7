"""The Payments tab's "Remittances" page: import an 835 from the clearinghouse portal (the
match plan first, then one posting of the whole file), the checks posted, and the exceptions
a remittance could not place, to resolve one by one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.permissions import Permission
from app.services.remittances import EraSummary, ExceptionRow
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import ERROR_COLOUR, money_text
from app.ui.tabs.payments.plan_dialog import PlanDialog
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import heading, note

CHECK_COLUMNS = ("Posted", "Source", "Payer", "Check/EFT", "Paid on", "Amount", "Claims",
                 "Unmatched", "By")
EXCEPTION_COLUMNS = ("Check/EFT", "Payer", "Claim no. sent", "Amount", "Why")
ERA_FILTER = "835 remittances (*.835 *.x12 *.txt *.edi *.era);;All files (*)"
SOURCES = {"835": "835", "eob": "Paper EOB"}


def summary_text(summary: EraSummary) -> str:
    """What a posting did, in a few lines."""
    out = [f"Posted {summary.filename}."]
    for c in summary.checks:
        r = c.posted
        if r is None:
            continue
        out.append(f"Check {c.trace_number} from {c.payer}: {money_text(c.total_paid)} — "
                   f"paid {money_text(r.paid)}, adjusted {money_text(r.adjusted)}, to "
                   f"patients {money_text(r.to_patient)}, to next payers "
                   f"{money_text(r.to_next_payer)}; {r.denials} denied claim(s) queued; "
                   f"{len(r.secondary_claims)} secondary claim(s) built; "
                   f"{r.underpayments} underpaid line(s) queued; "
                   f"{len(r.exceptions)} exception(s).")
    return "\n".join(out)


class RemittancesPage(QWidget):
    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.dialog: Any = None
        self.exceptions: list[ExceptionRow] = []
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Remittances"))
        layout.addWidget(note("Import the 835 files the clearinghouse portal gives you. You "
                              "see how every claim matches before anything is posted; the "
                              "whole file then posts at once, or nothing does."))
        row = QHBoxLayout()
        self.import_button = QPushButton("Import 835…")
        self.import_button.clicked.connect(self.choose_file)
        row.addWidget(self.import_button)
        row.addStretch(1)
        self._code_list_buttons(row)
        layout.addLayout(row)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        layout.addWidget(self._lists(), 1)

    def _code_list_buttons(self, row: QHBoxLayout) -> None:
        """Importing X12's CARC/RARC lists, for whoever manages code sets."""
        self.code_lists = QLabel()
        row.addWidget(self.code_lists)
        self.list_buttons: dict[str, QPushButton] = {}
        if self._sv.codes is None or not self._sv.ctx.can(Permission.MANAGE_CODE_SETS):
            return
        for kind in ("carc", "rarc"):
            button = QPushButton(f"Import {kind.upper()} list…")
            button.clicked.connect(lambda _c=False, k=kind: self.choose_code_list(k))
            self.list_buttons[kind] = button
            row.addWidget(button)

    def choose_code_list(self, kind: str) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, f"Import X12's {kind.upper()} list", "",
            "Code lists (*.html *.htm *.txt *.csv);;All files (*)")
        if name:
            self.import_code_list(Path(name), kind)

    def import_code_list(self, path: Path, kind: str) -> None:
        assert self._sv.codes is not None
        try:
            r = self._sv.codes.import_list(path.read_bytes(), path.name, kind)
        except OSError as exc:
            self._say(f"{path.name} could not be read ({exc.strerror}).", problem=True)
            return
        except UserError as exc:
            self._say(str(exc), problem=True)
            return
        self._say(f"Imported {r.codes:,} {kind.upper()} codes from {r.filename} "
                  f"({r.active:,} in use today).")
        self.reload()

    def _lists(self) -> QSplitter:
        checks = QGroupBox("Checks and EFTs posted")
        self.check_table = read_only_table(CHECK_COLUMNS)
        QVBoxLayout(checks).addWidget(self.check_table)
        exceptions = QGroupBox("Exceptions: what a remittance could not place")
        self.exception_table = read_only_table(EXCEPTION_COLUMNS, stretch=4)
        self.exception_table.setWordWrap(True)
        self.resolve_button = QPushButton("Resolve…")
        self.resolve_button.clicked.connect(self.resolve)
        column = QVBoxLayout(exceptions)
        column.addWidget(self.exception_table, 1)
        row = QHBoxLayout()
        row.addWidget(self.resolve_button)
        row.addStretch(1)
        column.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(checks)
        split.addWidget(exceptions)
        return split

    # --- showing -------------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            checks = self._sv.remittances.remittances()
            self.exceptions = self._sv.remittances.exceptions()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        fill_table(self.check_table, [
            (f"{r.posted_at.astimezone():%m/%d/%Y %H:%M}", SOURCES.get(r.source, r.source),
             r.payer, r.trace_number, date_text(r.paid_on), money_text(r.total_paid),
             f"{r.claims:,}", f"{r.unmatched:,}", r.posted_by) for r in checks],
            right=(5, 6, 7))
        fill_table(self.exception_table, [
            (e.trace_number, e.payer, e.claim_number, money_text(e.amount), e.reason)
            for e in self.exceptions], right=(3,))
        self.exception_table.resizeRowsToContents()
        self.resolve_button.setEnabled(bool(self.exceptions))
        if self._sv.codes is not None:
            n = self._sv.codes.counts()
            self.code_lists.setText(f"Code lists imported: CARC {n['carc']:,}, "
                                    f"RARC {n['rarc']:,}")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.reload()

    def _say(self, text: str, problem: bool = False) -> None:
        self.result.setStyleSheet(f"color: {ERROR_COLOUR};" if problem else "")
        self.result.setText(text)

    def _failed(self, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        if isinstance(exc, UserError):
            self._say(str(exc), problem=True)
        else:
            show_error(self, exc)

    # --- importing -----------------------------------------------------------------------------
    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import an 835", "", ERA_FILTER)
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> None:
        """Read and match in the background, show the plan, then post on the clerk's word."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._say(f"{path.name} could not be read ({exc.strerror}).", problem=True)
            return
        self.import_button.setEnabled(False)
        run_in_background(lambda: self._sv.remittances.plan(data, path.name),
                          lambda plan: self._show_plan(plan, data), self._failed,
                          parent=self, progress="Reading and matching the 835…")

    def _show_plan(self, plan: EraSummary, data: bytes) -> None:
        self.import_button.setEnabled(True)
        self.dialog = PlanDialog(plan, can_override=self._sv.ctx.can(
            Permission.OVERRIDE_REMITTANCE), parent=self)
        self.dialog.accepted.connect(lambda: self._post(plan.filename, data,
                                                        self.dialog.reason))
        self.dialog.open()

    def _post(self, filename: str, data: bytes, reason: str) -> None:
        self.import_button.setEnabled(False)
        run_in_background(lambda: self._sv.remittances.import_835(data, filename, reason),
                          self._posted, self._failed, parent=self,
                          progress="Posting the remittance…")

    def _posted(self, summary: EraSummary) -> None:
        self.import_button.setEnabled(True)
        self._say(summary_text(summary))
        self.reload()

    # --- exceptions ----------------------------------------------------------------------------
    def resolve(self) -> None:
        row = self.exception_table.currentRow()
        if not 0 <= row < len(self.exceptions):
            self._say("Choose an exception first.", problem=True)
            return
        text, ok = QInputDialog.getText(self, "Resolve the exception",
                                        "What was done about it?", QLineEdit.EchoMode.Normal)
        if not ok:
            return
        try:
            self._sv.remittances.resolve_exception(self.exceptions[row].id, text)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.reload()
