"""The match plan of an 835, shown before anything is posted: per check its payer, number,
amount and balance; per claim where it goes, how it was matched and how sure the match is.
"Post" posts the whole file; a check that does not balance can be posted by an admin only,
with a written reason (audited)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.formats.adjustment_codes import CLP02_STATUS
from app.services.remittances import EraSummary
from app.ui.tabs.claims import fill_table, read_only_table
from app.ui.tabs.coding import ERROR_COLOUR, money_text
from app.ui.widgets.form import heading, note

COLUMNS = ("Check", "Claim no. sent", "Status", "Charged", "Paid", "Our claim", "Matched by",
           "Confidence", "Lines", "Why not")
CONFIDENCE = {"high": "High", "medium": "Medium", "low": "Low — check it", "": "—"}


def _status(code: str) -> str:
    return CLP02_STATUS.get(code, code)


class PlanDialog(QDialog):
    """`reason` is the admin's written reason when "Post anyway" was chosen."""

    def __init__(self, plan: EraSummary, *, can_override: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Post {plan.filename}?")
        self.resize(1100, 560)
        self.reason = ""
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"{plan.filename}: {len(plan.checks)} check(s)"))
        layout.addWidget(note("Nothing is posted yet. Each claim below is matched to one of "
                              "ours; claims and lines that match nothing are kept as "
                              "exceptions with the remittance, never dropped."))
        self.problems = QLabel(self._problems(plan))
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.problems.setVisible(bool(self.problems.text()))
        layout.addWidget(self.problems)
        self.table = read_only_table(COLUMNS, stretch=9)
        self._fill(plan)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel(self._totals(plan)))
        self._buttons(layout, plan, can_override)

    @staticmethod
    def _problems(plan: EraSummary) -> str:
        lines = [f"Check {c.trace_number}: {c.duplicate}" for c in plan.checks if c.duplicate]
        lines += [f"Check {c.trace_number} does not balance: {p}" for c in plan.checks
                  for p in c.balance_problems]
        return "\n".join(lines)

    def _fill(self, plan: EraSummary) -> None:
        rows = []
        for c in plan.checks:
            for m in c.matches:
                lines = (f"{m.lines - m.lines_unmatched} of {m.lines}" if m.lines_unmatched
                         else f"{m.lines}")
                rows.append((c.trace_number, m.claim_number, _status(m.status_code),
                             money_text(m.charge), money_text(m.paid),
                             str(m.claim_id) if m.claim_id else "none", m.how or "—",
                             CONFIDENCE.get(m.confidence, m.confidence), lines, m.reason))
        fill_table(self.table, rows, right=(3, 4, 5))

    @staticmethod
    def _totals(plan: EraSummary) -> str:
        total = sum((c.total_paid for c in plan.checks), start=plan.checks[0].total_paid * 0)
        matched = sum(c.matched for c in plan.checks)
        unmatched = sum(c.unmatched for c in plan.checks)
        return (f"<b>{money_text(total)}</b> in {len(plan.checks)} check(s); "
                f"{matched} claim(s) matched, {unmatched} not matched.")

    def _buttons(self, layout: QVBoxLayout, plan: EraSummary, can_override: bool) -> None:
        box = QDialogButtonBox()
        duplicate = any(c.duplicate for c in plan.checks)
        unbalanced = any(c.balance_problems for c in plan.checks)
        self.post_button = box.addButton("Post", QDialogButtonBox.ButtonRole.AcceptRole)
        self.post_button.setEnabled(not duplicate and not unbalanced)
        self.anyway_button: QPushButton | None = None
        if can_override and unbalanced and not duplicate:
            self.anyway_button = box.addButton("Post anyway…",
                                               QDialogButtonBox.ButtonRole.ActionRole)
            self.anyway_button.clicked.connect(self._post_anyway)
        box.addButton(QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)

    def _post_anyway(self) -> None:
        text, ok = QInputDialog.getText(
            self, "Post a check that does not balance",
            "Why is it right to post it? (kept with the check and in the audit log)",
            QLineEdit.EchoMode.Normal, "")
        if ok and text.strip():
            self.reason = text.strip()
            self.accept()
