"""The Quality tab's "Measures" page: the clinic's quality measures evaluated over a period
(counts and rate of each, how many to act on, data gaps), a saved run compared with an
earlier one (the rate before and the change), the chosen measure split by provider, its rate
month by month as a chart (each month the rolling year ending with it), and a patient list of
any part — the list to act on first — for all providers or one, exported as CSV. An
administrator edits the definitions. Evaluations, trends and lists run off the GUI thread:
over a large clinic each takes a second or two."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.formats.quality_measures import (
    ACTION,
    DENOMINATOR,
    EXCLUSIONS,
    INITIAL_POPULATION,
    NOT_MET,
    NUMERATOR,
)
from app.services.permissions import Permission
from app.services.quality import (
    ALL_PROVIDERS,
    NO_PROVIDER,
    NO_PROVIDER_ID,
    Evaluation,
    MeasureCounts,
    MeasureOutcome,
    PatientList,
    RunComparison,
    TrendPoint,
)
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import OK_COLOUR
from app.ui.tabs.quality.measure_dialogs import DefinitionsDialog
from app.ui.tabs.quality.services import QualityServices
from app.ui.widgets.bar_chart import BarChart
from app.ui.widgets.files import export_text
from app.ui.widgets.form import heading, note

GAPS = "data_gaps"
LISTS = (("To act on", ACTION), ("Data gaps (a result missing)", GAPS),
         ("Not met", NOT_MET), ("Numerator", NUMERATOR), ("Denominator", DENOMINATOR),
         ("Exclusions", EXCLUSIONS), ("Initial population", INITIAL_POPULATION))
RESULT_COLUMNS = ("Measure", "Initial population", "Denominator", "Exclusions", "Numerator",
                  "Rate", "To act on", "Data gaps", "Rate before", "Change")
BEFORE, CHANGE = 8, 9
PROVIDER_COLUMNS = ("Provider", "Denominator", "Exclusions", "Numerator", "Rate")


def rate_text(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def change_text(change: Decimal | None) -> str:
    return "" if change is None else f"{change * 100:+.1f} pts"


class MeasuresPage(QWidget):
    def __init__(self, sv: QualityServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.evaluation: Evaluation | None = None
        self.comparison: RunComparison | None = None
        self.trend: tuple[TrendPoint, ...] = ()
        self.patient_list: PatientList | None = None
        self.dialog: Any = None
        self.busy = False
        self._loaded = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Quality measures"))
        layout.addWidget(note(
            "Evaluate the clinic's measures over a period. Rate = numerator ÷ (denominator − "
            "exclusions). For a measure marked “lower is better” the list to act on is its "
            "numerator; otherwise it is the patients not meeting it."))
        layout.addLayout(self._controls())
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self._results())
        split.addWidget(self._detail())
        split.addWidget(self._list())
        split.setSizes([190, 230, 300])
        layout.addWidget(split, 1)
        self.result = QLabel()
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.hide()
        layout.addWidget(self.result)

    # --- construction ------------------------------------------------------------------------
    def _date(self, d: date) -> QDateEdit:
        edit = QDateEdit(QDate(d.year, d.month, d.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("MM/dd/yyyy")
        return edit

    def _controls(self) -> QHBoxLayout:
        today = date.today()
        self.start = self._date(date(today.year, 1, 1))
        self.end = self._date(today)
        self.keep = QCheckBox("Keep the run")
        self.keep.setChecked(True)
        self.keep.setToolTip("Saved runs can be compared with later ones (counts only)")
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.setDefault(True)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.compare = QComboBox()
        self.compare.setMinimumWidth(260)
        self.compare.currentIndexChanged.connect(lambda _i: self.compare_runs())
        self.definitions_button = QPushButton("Definitions…")
        self.definitions_button.clicked.connect(self.edit_definitions)
        self.definitions_button.setVisible(self._sv.ctx.can(Permission.MANAGE_MEASURES))
        row = QHBoxLayout()
        for w in (QLabel("From:"), self.start, QLabel("To:"), self.end, self.evaluate_button,
                  self.keep, QLabel("Compare with:"), self.compare):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.definitions_button)
        return row

    def _results(self) -> QWidget:
        self.table = read_only_table(RESULT_COLUMNS, stretch=0)
        self.table.setWordWrap(False)
        self.table.itemSelectionChanged.connect(self._measure_chosen)
        self.table.setColumnHidden(BEFORE, True)
        self.table.setColumnHidden(CHANGE, True)
        return self.table

    def _detail(self) -> QWidget:
        self.providers = read_only_table(PROVIDER_COLUMNS, stretch=0)
        self.chart = BarChart(label=lambda v: f"{v:.0f}%", top=100)
        self.trend_button = QPushButton("Show the trend")
        self.trend_button.clicked.connect(self.show_trend)
        self.trend_label = QLabel("Rate by month, each the rolling year ending with it")
        left = QGroupBox("By provider (the provider of the patient's latest visit)")
        QVBoxLayout(left).addWidget(self.providers)
        right = QGroupBox("Trend")
        column = QVBoxLayout(right)
        row = QHBoxLayout()
        row.addWidget(self.trend_label, 1)
        row.addWidget(self.trend_button)
        column.addLayout(row)
        column.addWidget(self.chart, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([460, 700])
        return split

    def _list(self) -> QWidget:
        self.part = QComboBox()
        for label, code in LISTS:
            self.part.addItem(label, code)
        self.provider = QComboBox()
        self.provider.setMinimumWidth(200)
        self.provider.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.list_button = QPushButton("Show the list")
        self.list_button.clicked.connect(self.show_list)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export_csv)
        self.list_label = QLabel()
        self.patients = read_only_table(("Patient",), stretch=0)
        row = QHBoxLayout()
        for w in (QLabel("List:"), self.part, QLabel("Provider:"), self.provider,
                  self.list_button, self.list_label):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.export_button)
        box = QGroupBox("Patients")
        column = QVBoxLayout(box)
        column.addLayout(row)
        column.addWidget(self.patients, 1)
        self._enable()
        return box

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.reload_runs()

    # --- evaluating --------------------------------------------------------------------------
    def period(self) -> tuple[date, date]:
        return (self.start.date().toPython(), self.end.date().toPython())  # type: ignore[return-value]

    def _run(self, fn: Any, done: Any, progress: str) -> None:
        if self.busy:
            return
        self.busy = True
        self._enable()

        def finished(value: Any) -> None:
            self.busy = False
            done(value)
            self._enable()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._enable()
            show_error(self, exc)

        run_in_background(fn, finished, failed, parent=self, progress=progress)

    def evaluate(self) -> None:
        start, end = self.period()
        save = self.keep.isChecked()
        self._run(lambda: self._sv.quality.evaluate(start, end, save=save), self._evaluated,
                  "Evaluating the measures…")

    def _evaluated(self, evaluation: Evaluation) -> None:
        self.evaluation, self.comparison, self.trend = evaluation, None, ()
        self.patient_list = None
        self._fill_results()
        if evaluation.run_id is not None:
            self.reload_runs()
            self.say(f"Run {evaluation.run_id} kept: {date_text(evaluation.start)} to "
                     f"{date_text(evaluation.end)}.")
        if evaluation.measures:
            self.table.selectRow(0)

    def _fill_results(self) -> None:
        ev = self.evaluation
        rows = []
        for m in ev.measures if ev else ():
            c = m.counts
            title = m.title + (" (lower is better)" if m.inverse else "")
            before = self._before(m)
            rows.append((title, f"{c.initial_population:,}", f"{c.denominator:,}",
                         f"{c.exclusions:,}", f"{c.numerator:,}", rate_text(c.rate),
                         f"{m.action_count:,}", f"{c.data_gaps:,}",
                         rate_text(before.rate) if before else "",
                         change_text(c.rate - before.rate)
                         if before and c.rate is not None and before.rate is not None else ""))
        fill_table(self.table, rows, right=range(1, 10))
        compared = self.comparison is not None
        self.table.setColumnHidden(BEFORE, not compared)
        self.table.setColumnHidden(CHANGE, not compared)

    def _before(self, m: MeasureOutcome) -> MeasureCounts | None:
        if self.comparison is None:
            return None
        return next((r.before for r in self.comparison.rows
                     if r.measure_id == m.measure_id and r.scope == ALL_PROVIDERS), None)

    def current(self) -> MeasureOutcome | None:
        i = self.table.currentRow()
        ev = self.evaluation
        return ev.measures[i] if ev and 0 <= i < len(ev.measures) else None

    def _measure_chosen(self) -> None:
        m = self.current()
        fill_table(self.providers, [
            (p.provider_name, f"{p.counts.denominator:,}", f"{p.counts.exclusions:,}",
             f"{p.counts.numerator:,}", rate_text(p.counts.rate))
            for p in (m.providers if m else ())], right=range(1, 5))
        self.provider.clear()
        self.provider.addItem("All providers", None)
        for p in m.providers if m else ():
            self.provider.addItem(p.provider_name,
                                  NO_PROVIDER_ID if p.scope == NO_PROVIDER else p.provider_id)
        self.trend = ()
        self.chart.set_data([], {})
        self.patient_list = None
        self.patients.setRowCount(0)
        self.list_label.setText("")
        self._enable()

    # --- runs --------------------------------------------------------------------------------
    def reload_runs(self) -> None:
        try:
            runs = self._sv.quality.runs()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.compare.blockSignals(True)
        self.compare.clear()
        self.compare.addItem("(no earlier run)", None)
        current = self.evaluation.run_id if self.evaluation else None
        for r in runs:
            if r.id != current:
                self.compare.addItem(f"Run {r.id}: {date_text(r.start)}–{date_text(r.end)}, "
                                     f"{r.run_at:%m/%d/%Y}", r.id)
        self.compare.blockSignals(False)

    def compare_runs(self) -> None:
        before = self.compare.currentData()
        ev = self.evaluation
        if before is None or ev is None or ev.run_id is None:
            self.comparison = None
            if before is not None:
                self.say("Evaluate with “Keep the run” ticked to compare with an earlier run.")
        else:
            try:
                self.comparison = self._sv.quality.compare(before, ev.run_id)
            except Exception as exc:  # noqa: BLE001 - the one presenter shows it
                show_error(self, exc)
                return
        keep = self.table.currentRow()
        self._fill_results()
        if keep >= 0:
            self.table.selectRow(keep)

    # --- trend -------------------------------------------------------------------------------
    def show_trend(self) -> None:
        m = self.current()
        if m is None:
            return
        start, end = self.period()
        self._run(lambda: self._sv.quality.trend(m.measure_id, start, end), self._trended,
                  "Working out the trend…")

    def _trended(self, points: tuple[TrendPoint, ...]) -> None:
        self.trend = points
        self.chart.set_data([f"{p.month:%b %y}" for p in points],
                            {"Rate %": [(p.rate or Decimal(0)) * 100 for p in points]})

    # --- patient lists -----------------------------------------------------------------------
    def show_list(self) -> None:
        m = self.current()
        if m is None:
            return
        start, end = self.period()
        part, provider = self.part.currentData(), self.provider.currentData()
        q = self._sv.quality
        if part == GAPS:
            fn = lambda: q.data_gaps(m.measure_id, start, end, provider_id=provider)  # noqa: E731
        else:
            fn = lambda: q.patients(m.measure_id, start, end, part,  # noqa: E731
                                    provider_id=provider)
        self._run(fn, self._listed, "Reading the patients…")

    def _listed(self, pl: PatientList) -> None:
        self.patient_list = pl
        names = [_code_name(pl, c) for c in pl.codes]
        headers = ["Patient", "MRN", "DOB", "Last visit", "Provider", *names]
        if pl.part == GAPS:
            headers.append("Missing")
        self.patients.setColumnCount(len(headers))
        self.patients.setHorizontalHeaderLabels(headers)
        rows = []
        for r in pl.rows:
            values = {v.code: v for v in r.values}
            cells = [f"{values[c].display} ({date_text(values[c].observed_on)})"
                     if c in values else "" for c in pl.codes]
            row = [r.name, r.mrn, date_text(r.dob), date_text(r.last_visit), r.provider_name,
                   *cells]
            if pl.part == GAPS:
                row.append("; ".join(r.missing))
            rows.append(row)
        fill_table(self.patients, rows)
        self.list_label.setText(f"{len(pl.rows):,} patient(s)")
        self._enable()

    def export_csv(self) -> None:
        pl = self.patient_list
        if pl is None:
            return
        path = export_text(self, "Export the list", f"{pl.measure_id}-{pl.part}-{pl.end}.csv",
                           lambda: self._sv.quality.export_csv(pl))
        if path is None:
            return
        self.say(f"{len(pl.rows):,} patient(s) exported to {path.name}. Keep the file "
                 "safe: it names patients and their results.")

    # --- definitions -------------------------------------------------------------------------
    def edit_definitions(self) -> None:
        self.dialog = DefinitionsDialog(self._sv.quality, self)
        self.dialog.changed.connect(
            lambda: self.say("Definitions changed: evaluate again to see their effect."))
        self.dialog.open()

    def _enable(self) -> None:
        has = self.current() is not None
        self.evaluate_button.setEnabled(not self.busy)
        for b in (self.trend_button, self.list_button):
            b.setEnabled(has and not self.busy)
        self.export_button.setEnabled(self.patient_list is not None and not self.busy)

    def say(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))


def _code_name(pl: PatientList, code: str) -> str:
    for r in pl.rows:
        for v in r.values:
            if v.code == code:
                return v.name
    return code
