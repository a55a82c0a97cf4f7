"""Admin › Audit log: the filtered, lazily loaded trail, CSV export and the chain check."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, QObject
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.audit import AuditFilter, AuditService, VerifyResult
from app.services.context import UserContext
from app.services.permissions import Permission
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.table_models.audit_table_model import AuditTableModel
from app.ui.widgets.form import heading

NO_DATE = QDate(2000, 1, 1)  # the date edits' minimum, shown as "no date"
COLUMN_WIDTHS = (150, 110, 170, 110, 80)


class OptionalDateEdit(QDateEdit):
    """A date edit whose lowest value reads "no date"; its calendar opens on this month
    rather than on the placeholder's year 2000."""

    def __init__(self) -> None:
        super().__init__()
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(NO_DATE)
        self.setSpecialValueText("no date")
        self.setDate(NO_DATE)
        self.setFixedWidth(120)
        self.calendarWidget().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and self.date() == NO_DATE:
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())
        return super().eventFilter(watched, event)

    def value(self) -> date | None:
        d = self.date()
        return None if d == NO_DATE else date(d.year(), d.month(), d.day())


class AuditPage(QWidget):
    slug = "audit"
    title = "Audit log"

    def __init__(self, *, ctx: UserContext, audit: AuditService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._audit = ctx, audit
        self.model = AuditTableModel(audit)
        self.view = QTableView()
        self.user_combo, self.action_combo = QComboBox(), QComboBox()
        self.patient_edit = QLineEdit()
        self.date_from, self.date_to = OptionalDateEdit(), OptionalDateEdit()
        self.clear_button = QPushButton("Clear filters")
        self.export_button = QPushButton("Export CSV…")
        self.verify_button = QPushButton("Verify chain")
        self.count_label, self.verify_label = QLabel(), QLabel()
        self._setup_view()
        self._setup_filters()
        self._build()

    def _setup_view(self) -> None:
        v = self.view
        v.setModel(self.model)
        v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        v.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        v.setAlternatingRowColors(True)
        v.setWordWrap(False)
        v.verticalHeader().hide()
        v.verticalHeader().setDefaultSectionSize(v.fontMetrics().height() + 10)
        header = v.horizontalHeader()
        for i, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(i, width)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def _setup_filters(self) -> None:
        self.patient_edit.setValidator(QIntValidator(1, 2_000_000_000, self))
        self.patient_edit.setPlaceholderText("any")
        self.patient_edit.setFixedWidth(90)
        self.user_combo.setMinimumWidth(130)
        self.action_combo.setMinimumWidth(180)
        self.user_combo.currentIndexChanged.connect(self.apply_filter)
        self.action_combo.currentIndexChanged.connect(self.apply_filter)
        self.patient_edit.editingFinished.connect(self.apply_filter)
        self.date_from.dateChanged.connect(self.apply_filter)
        self.date_to.dateChanged.connect(self.apply_filter)
        self.clear_button.clicked.connect(self.clear_filters)
        self.export_button.clicked.connect(self.export_csv)
        self.verify_button.clicked.connect(self.verify)

    def _build(self) -> None:
        filters = QHBoxLayout()
        for text, w in (("User:", self.user_combo), ("Action:", self.action_combo),
                        ("Patient ID:", self.patient_edit), ("From:", self.date_from),
                        ("To:", self.date_to)):
            filters.addWidget(QLabel(text))
            filters.addWidget(w)
            filters.addSpacing(8)
        filters.addWidget(self.clear_button)
        filters.addStretch(1)
        actions = QHBoxLayout()
        for label in (self.count_label, self.verify_label):
            actions.addWidget(label)
            actions.addSpacing(16)
        actions.addStretch(1)
        actions.addWidget(self.verify_button)
        actions.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Audit log"))
        layout.addLayout(filters)
        layout.addWidget(self.view)
        layout.addLayout(actions)

    # --- loading and filtering ------------------------------------------------------------
    def reload(self) -> None:
        if not self._ctx.can(Permission.VIEW_AUDIT):
            self.model.clear()
            return
        self._refill(self.user_combo, "Everyone", self._audit.usernames())
        self._refill(self.action_combo, "All actions", self._audit.actions())
        self.export_button.setEnabled(self._ctx.can(Permission.EXPORT_AUDIT))
        self.apply_filter()

    @staticmethod
    def _refill(combo: QComboBox, first: str, items: list[str]) -> None:
        keep = combo.currentData() or ""
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(first, "")
        for item in items:
            combo.addItem(item, item)
        combo.setCurrentIndex(max(combo.findData(keep), 0))
        combo.blockSignals(False)

    def current_filter(self) -> AuditFilter:
        patient = self.patient_edit.text().strip()
        return AuditFilter(
            username=self.user_combo.currentData() or "",
            action=self.action_combo.currentData() or "",
            patient_id=int(patient) if patient.isdigit() else None,
            date_from=self.date_from.value(),
            date_to=self.date_to.value(),
        )

    def apply_filter(self) -> None:
        try:
            self.model.set_filter(self.current_filter())
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
            return
        n = self.model.total
        self.count_label.setText(f"{n:,} event{'s' if n != 1 else ''}")

    def clear_filters(self) -> None:
        for w in (self.user_combo, self.action_combo, self.patient_edit, self.date_from,
                  self.date_to):
            w.blockSignals(True)
        self.user_combo.setCurrentIndex(0)
        self.action_combo.setCurrentIndex(0)
        self.patient_edit.clear()
        self.date_from.setDate(NO_DATE)
        self.date_to.setDate(NO_DATE)
        for w in (self.user_combo, self.action_combo, self.patient_edit, self.date_from,
                  self.date_to):
            w.blockSignals(False)
        self.apply_filter()

    # --- export and verify ------------------------------------------------------------------
    def export_csv(self) -> None:
        suggested = str(Path.home() / f"audit-log-{date.today():%Y-%m-%d}.csv")
        name, _ = QFileDialog.getSaveFileName(self, "Export the audit log", suggested,
                                              "CSV files (*.csv)")
        if not name:
            return
        path, f = Path(name), self.current_filter()
        run_in_background(lambda: self._audit.export_csv(f, path),
                          lambda n: self._exported(path, n), self._failed, parent=self,
                          progress="Exporting the audit log…")

    def _exported(self, path: Path, rows: int) -> None:
        QMessageBox.information(self, "Audit log exported",
                                f"Wrote {rows:,} event{'s' if rows != 1 else ''} to {path}.")
        self.reload()  # the export is itself an event

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.verify_label.setText("Checking the chain…")
        run_in_background(self._audit.verify, self._verified, self._failed, parent=self,
                          progress="Checking the audit chain…")

    def _verified(self, result: VerifyResult) -> None:
        self.verify_button.setEnabled(True)
        if result.ok:
            self.verify_label.setText(f"Chain intact: {result.count:,} events.")
            QMessageBox.information(self, "Audit chain", f"Intact: {result.count:,} events.")
            return
        text = (f"Broken at event #{result.first_bad_seq}: {result.reason}. "
                f"{result.count:,} events before it are intact.")
        self.verify_label.setText(f"Chain broken at event #{result.first_bad_seq}.")
        QMessageBox.warning(self, "Audit chain", text)

    def _failed(self, exc: BaseException) -> None:
        self.verify_button.setEnabled(True)
        self.verify_label.setText("")
        show_error(self, exc)

