"""The Payments tab's "Day close" page: the day sheet of a day (every ledger entry dated
that day, totals by kind and by user) to look over and print, "Close this day…" which keeps
the sheet as printed and locks the day, and the closed days with their sheets to print
again. After a close, whatever is posted is dated the next open day (app.services.day_close),
which the confirmation says before anything is done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.formats.day_sheet_pdf import (
    KIND_LABELS,
    DaySheetData,
    counts_by_kind,
    day_sheet_pdf,
)
from app.services.context import UserContext
from app.services.day_close import ClosedDay
from app.services.permissions import Permission
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import OK_COLOUR, money_text
from app.ui.tabs.payments.pdf_dialog import PdfDialog, dollars
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import heading, note

KIND_COLUMNS = ("Kind", "Entries", "Total")
USER_COLUMNS = ("User", "Kind", "Total")
CLOSED_COLUMNS = ("Day", "Entries", "Net change", "Closed by", "Closed at")


def can_close_day(ctx: UserContext) -> bool:
    return ctx.can(Permission.CLOSE_DAY)


def confirm_text(day: date) -> str:
    after = day + timedelta(days=1)
    return (f"Close {day:%A, %m/%d/%Y}?\n\nIts day sheet is printed and kept exactly as it "
            f"is, and the day is locked. Anything posted from now on (payments, EOBs, "
            f"charges, corrections) is dated {after:%m/%d/%Y} or later and goes on that "
            "day's sheet instead. This cannot be undone.")


class DayPage(QWidget):
    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.sheet: DaySheetData | None = None
        self.closed: list[ClosedDay] = []
        self.dialog: Any = None
        self._loaded = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Close the day"))
        layout.addWidget(note("Look over the day's entries, then close the day at its end: "
                              "the day sheet is printed and kept, and the day's entries can no "
                              "longer change. A correction goes on the next open day."))
        layout.addLayout(self._day_row())
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._figures())
        split.addWidget(self._closed_box())
        split.setSizes([560, 720])
        layout.addWidget(split, 1)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        layout.addWidget(self.result)

    def _day_row(self) -> QHBoxLayout:
        self.day_edit = QDateEdit(QDate.currentDate())
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("MM/dd/yyyy")
        self.day_edit.setMaximumDate(QDate.currentDate())
        self.day_edit.dateChanged.connect(lambda _d: self.show_day())
        self.show_button = QPushButton("Show day sheet…")
        self.show_button.clicked.connect(self.show_sheet)
        self.close_button = QPushButton("Close this day…")
        self.close_button.clicked.connect(self.close_day)
        self.state = QLabel()
        row = QHBoxLayout()
        for w in (QLabel("Day:"), self.day_edit, self.show_button, self.close_button):
            row.addWidget(w)
        row.addSpacing(16)
        row.addWidget(self.state, 1)
        return row

    def _figures(self) -> QGroupBox:
        box = QGroupBox("The day's figures")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.kind_table = read_only_table(KIND_COLUMNS, stretch=0)
        self.user_table = read_only_table(USER_COLUMNS, stretch=1)
        column = QVBoxLayout(box)
        column.addWidget(self.summary)
        column.addWidget(QLabel("By kind of entry:"))
        column.addWidget(self.kind_table, 3)
        column.addWidget(QLabel("By user:"))
        column.addWidget(self.user_table, 2)
        return box

    def _closed_box(self) -> QGroupBox:
        box = QGroupBox("Closed days")
        self.closed_table = read_only_table(CLOSED_COLUMNS, stretch=4)
        self.closed_table.doubleClicked.connect(lambda _i: self.reprint())
        self.reprint_button = QPushButton("Re-print…")
        self.reprint_button.clicked.connect(self.reprint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.reprint_button)
        column = QVBoxLayout(box)
        column.addWidget(self.closed_table, 1)
        column.addLayout(row)
        return box

    # --- showing -------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def day(self) -> date:
        return self.day_edit.date().toPython()  # type: ignore[return-value]

    def set_day(self, day: date) -> None:
        self.day_edit.setDate(QDate(day.year, day.month, day.day))

    def reload(self) -> None:
        """The closed days and the chosen day's figures, again."""
        try:
            self.closed = self._sv.day_close.closed_days()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._loaded = True
        if self.closed:  # after closing today, entries land on a later day: let it be chosen
            last = self.closed[0].day + timedelta(days=1)
            self.day_edit.setMaximumDate(max(QDate.currentDate(),
                                             QDate(last.year, last.month, last.day)))
        fill_table(self.closed_table, [
            (date_text(d.day), f"{d.entries:,}", money_text(d.total), d.closed_by,
             f"{d.closed_at.astimezone():%m/%d/%Y %H:%M}") for d in self.closed],
            right=(1, 2))
        self.reprint_button.setEnabled(bool(self.closed))
        self.show_day()

    def _closed_on(self, day: date) -> ClosedDay | None:
        return next((d for d in self.closed if d.day == day), None)

    def show_day(self) -> None:
        day = self.day()
        try:
            self.sheet = self._sv.day_close.day_sheet(day)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._fill(self.sheet)
        closed = self._closed_on(day)
        self.close_button.setEnabled(closed is None)
        self.state.setText(f"Closed by {closed.closed_by} on "
                           f"{closed.closed_at.astimezone():%m/%d/%Y %H:%M}." if closed
                           else "Open: entries can still be posted on this day."
                           if not self.closed or day > self.closed[0].day
                           else "Not closed, but a later day is: nothing new lands here.")

    def _fill(self, sheet: DaySheetData) -> None:
        counts = counts_by_kind(sheet.entries)
        totals = sheet.totals_by_kind
        fill_table(self.kind_table, [
            *((KIND_LABELS[k], f"{counts[k]:,}", money_text(t)) for k, t in totals.items()),
            ("Net change", f"{len(sheet.entries):,}", money_text(sheet.net_total))],
            right=(1, 2))
        fill_table(self.user_table, [
            (user, KIND_LABELS[k], money_text(t))
            for user, kinds in sheet.totals_by_user_and_kind.items() for k, t in kinds.items()],
            right=(2,))
        self.summary.setText(f"{sheet.day:%A, %m/%d/%Y}: {len(sheet.entries):,} entries, net "
                             f"change in balances {dollars(sheet.net_total)}.")

    # --- sheets --------------------------------------------------------------------------------
    def _open_pdf(self, day: date, pdf: bytes, kept: bool) -> None:
        title = f"Day sheet {day:%m/%d/%Y}" + (" (as printed at closing)" if kept
                                                 else " (preview, day still open)")
        self.dialog = PdfDialog(title, pdf, f"day-sheet-{day:%Y-%m-%d}.pdf", self)
        self.dialog.open()

    def show_sheet(self) -> None:
        """The chosen day's sheet: the kept one for a closed day, else a preview."""
        day = self.day()
        try:
            kept = self._closed_on(day) is not None
            pdf = (self._sv.day_close.sheet(day) if kept
                   else day_sheet_pdf(self._sv.day_close.day_sheet(day)))
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._open_pdf(day, pdf, kept)

    def reprint(self) -> None:
        i = self.closed_table.currentRow()
        if not 0 <= i < len(self.closed):
            return
        day = self.closed[i].day
        try:
            pdf = self._sv.day_close.sheet(day)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._open_pdf(day, pdf, True)

    # --- closing -------------------------------------------------------------------------------
    def close_day(self) -> None:
        day = self.day()
        if QMessageBox.question(self, "Close the day", confirm_text(day)) \
                != QMessageBox.StandardButton.Yes:
            return
        self.close_button.setEnabled(False)
        run_in_background(lambda: self._sv.day_close.close_day(day),
                          lambda pdf: self._closed(day, pdf), self._failed, parent=self,
                          progress="Closing the day and printing its sheet…")

    def _failed(self, exc: BaseException) -> None:
        show_error(self, exc)
        self.reload()

    def _closed(self, day: date, pdf: bytes) -> None:
        self.reload()
        self.result.setText(f"{day:%m/%d/%Y} is closed and its sheet kept. Entries posted "
                            f"from now on are dated {day + timedelta(days=1):%m/%d/%Y} or "
                            "later.")
        self._open_pdf(day, pdf, True)
