"""Record a verification done by phone or on the payer's portal, in one form: the call (who,
reference), the plan (active, dates), the money figures (deductible and out-of-pocket,
individual and family), and copays and coinsurance per service type as lines below.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.services.coverage import CoverageRow
from app.services.eligibility import (
    COINSURANCE,
    COPAY,
    PHONE,
    PHONE_SERVICE_TYPES,
    PORTAL,
    BenefitData,
    CheckData,
    EligibilityService,
)
from app.ui.errors import show_error
from app.ui.widgets.form import FieldSpec, FormWidget, MoneyLineEdit, parse_money

ANSWERS = {"": "Not asked", "yes": "Yes", "no": "No"}
KINDS = {COPAY: "Copay", COINSURANCE: "Coinsurance %"}
NETWORKS = {"Y": "In network", "N": "Out of network", "W": "Either"}


def specs(coverages: list[CoverageRow]) -> tuple[FieldSpec, ...]:
    choices = {str(r.data.id): f"{r.rank_label}: {r.payer_name}" for r in coverages}
    return (
        FieldSpec("coverage_id", "Coverage", "combo", choices, show_code=False),
        FieldSpec("method", "Verified by", "combo", {PHONE: "Phone call", PORTAL: "Portal"},
                  show_code=False, width=160, default=PHONE),
        FieldSpec("checked_on", "Date", "date", width=120),
        FieldSpec("representative", "Representative", width=220),
        FieldSpec("reference", "Call reference no.", width=220),
        FieldSpec("active", "Coverage is", "combo", {"yes": "Active", "no": "Inactive"},
                  blank=True, show_code=False, width=160),
        FieldSpec("plan_begin", "Plan year begins", "date", width=120),
        FieldSpec("plan_end", "Plan year ends", "date", width=120),
        FieldSpec("prior_auth_required", "Prior authorisation", "combo", ANSWERS,
                  show_code=False, width=160),
        FieldSpec("deductible_total", "Deductible (individual)", "money", width=120),
        FieldSpec("deductible_met", "…met so far", "money", width=120),
        FieldSpec("family_deductible_total", "Deductible (family)", "money", width=120),
        FieldSpec("family_deductible_met", "…met so far", "money", width=120),
        FieldSpec("oop_total", "Out-of-pocket max (individual)", "money", width=120),
        FieldSpec("oop_met", "…met so far", "money", width=120),
        FieldSpec("family_oop_total", "Out-of-pocket max (family)", "money", width=120),
        FieldSpec("family_oop_met", "…met so far", "money", width=120),
        FieldSpec("visit_limit", "Visit limit", width=80, hint="none"),
        FieldSpec("visits_used", "Visits used", width=80),
        FieldSpec("notes", "Notes", "multiline"),
    )


def _answer(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _count(value: str, name: str, problems: dict[str, str]) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit():
        problems[name] = "Enter a whole number of visits, or leave it blank."
        return None
    return int(text)


class BenefitLines(QWidget):
    """Copay and coinsurance lines: kind, service type, network, amount or percent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Kind", "Service type", "Network",
                                              "Amount or %"])
        self.table.verticalHeader().hide()
        for col, width in enumerate((130, 320, 130, 110)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(170)
        self.add_button = QPushButton("Add line")
        self.add_button.clicked.connect(lambda: self.add_line())
        self.remove_button = QPushButton("Remove line")
        self.remove_button.clicked.connect(self.remove_line)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Copays and coinsurance by service type:"))
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def add_line(self, kind: str = COPAY, service: str = "98", network: str = "Y",
                 value: str = "") -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, (choices, current) in enumerate(((KINDS, kind),
                                                  (PHONE_SERVICE_TYPES, service),
                                                  (NETWORKS, network))):
            combo = QComboBox()
            for code, text in choices.items():
                combo.addItem(text if col != 1 else f"{code} – {text}", code)
            combo.setCurrentIndex(max(combo.findData(current), 0))
            self.table.setCellWidget(row, col, combo)
        amount = MoneyLineEdit()
        amount.setText(value)
        self.table.setCellWidget(row, 3, amount)

    def remove_line(self) -> None:
        row = self.table.currentRow()
        self.table.removeRow(row if row >= 0 else self.table.rowCount() - 1)

    def lines(self, problems: dict[str, str]) -> tuple[BenefitData, ...]:
        out = []
        for row in range(self.table.rowCount()):
            kind, service, network = (self._combo(row, c) for c in range(3))
            amount = self.table.cellWidget(row, 3)
            assert isinstance(amount, MoneyLineEdit)
            try:
                value = parse_money(amount.text())
            except ValueError:
                problems[f"benefit {row + 1}"] = "is not a number; type it as 25.00 or 20."
                continue
            out.append(BenefitData(kind, service, in_network=network,
                                   amount=value if kind == COPAY else None,
                                   percent=value if kind == COINSURANCE else None))
        return tuple(out)

    def _combo(self, row: int, col: int) -> str:
        combo = self.table.cellWidget(row, col)
        assert isinstance(combo, QComboBox)
        return str(combo.currentData())


class CheckDialog(QDialog):
    """Opened with `open()`; emits `accepted` after the service kept the verification."""

    def __init__(self, *, eligibility: EligibilityService, coverages: list[CoverageRow],
                 coverage_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record a benefits verification")
        self._eligibility = eligibility
        self.saved: Any = None
        self.form = FormWidget(specs(coverages), split_at=("deductible_total",))
        self.form.set_values({"checked_on": date.today(), "method": PHONE,
                              "coverage_id": str(coverage_id or "")})
        self.benefits = BenefitLines()
        self.benefits.add_line(COPAY, "98", "Y")
        self.benefits.add_line(COINSURANCE, "30", "Y")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.benefits)
        layout.addWidget(self.buttons)

    def data(self, problems: dict[str, str]) -> CheckData:
        v = self.form.values()
        money = {k: val for k, val in v.items() if isinstance(val, Decimal) or
                 (val is None and self.form.specs[k].kind == "money")}
        return CheckData(
            coverage_id=int(v["coverage_id"] or 0), checked_on=v["checked_on"] or date.today(),
            method=v["method"], active=_answer(v["active"]), representative=v["representative"],
            reference=v["reference"], plan_begin=v["plan_begin"], plan_end=v["plan_end"],
            prior_auth_required=_answer(v["prior_auth_required"]), notes=v["notes"],
            visit_limit=_count(v["visit_limit"], "visit_limit", problems),
            visits_used=_count(v["visits_used"], "visits_used", problems),
            benefits=self.benefits.lines(problems), **money)

    def submit(self) -> None:
        problems = self.form.input_problems()
        data = self.data(problems)
        if problems:
            self.form.show_problems(problems)
            return
        try:
            self.saved = self._eligibility.record_check(data)
        except ValidationError as exc:
            self.form.show_problems(exc.problems)
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows the rest
            show_error(self, exc)
            return
        self.accept()
