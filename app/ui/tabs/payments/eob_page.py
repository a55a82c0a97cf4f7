"""The Payments tab's "Post EOB" page: a paper check and its explanation of benefits typed
from the keyboard and posted exactly as an 835 would be (app.services.payments.post_eob).

The check first (payer, number, date, amount), then each claim by our claim number (Enter
loads its lines into the grid), then the grid filled cell by cell with Tab. The figure
"undistributed" (check amount − what the lines pay ± the provider adjustment) is red until
it is zero, and each row shows what it leaves unexplained. A refused EOB names its rows in
the problems list beside the grid and keeps everything typed; a posted one is summed up and
the grid cleared for the next check."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.formats.adjustment_codes import PLB_REASONS
from app.services.context import UserContext
from app.services.payments import EobData, EobProviderAdjustment
from app.services.permissions import Permission
from app.services.remit_posting import CheckResult
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.coding import ERROR_COLOUR, OK_COLOUR
from app.ui.tabs.payments.eob_grid import EobGrid
from app.ui.tabs.payments.pdf_dialog import alarm, dollars
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import DateLineEdit, MoneyLineEdit, heading, note

CLAIM_NUMBER = re.compile(r"\s*(\d{1,9})(?:\s*R\s*\d+)?\s*", re.IGNORECASE)
ZERO = Decimal("0.00")


def can_post_eob(ctx: UserContext) -> bool:
    return ctx.can(Permission.POST_PAYMENTS)


def result_text(r: CheckResult) -> str:
    """What posting the check did, in a few lines."""
    return (f"Posted check {r.trace_number} from {r.payer}: {dollars(r.total_paid)} on "
            f"{r.matched} claim(s). Paid {dollars(r.paid)}, adjusted {dollars(r.adjusted)}, "
            f"to patients {dollars(r.to_patient)}, to next payers {dollars(r.to_next_payer)}"
            + (f", reversed {dollars(r.reversed)}" if r.reversed else "")
            + f"; {r.denials} denied claim(s) queued, {len(r.secondary_claims)} secondary "
            f"claim(s) built, {r.underpayments} underpaid line(s) queued.")


class EobPage(QWidget):
    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Post a paper EOB"))
        layout.addWidget(note(
            "Type the check, then each claim on the EOB by our claim number (Enter loads its "
            "lines). In the grid, type into a cell to fill it; Tab moves to the next cell to "
            "fill. The check is ready to post when nothing is left undistributed and no row "
            "leaves anything unexplained."))
        layout.addWidget(self._check_box())
        layout.addLayout(self._claim_row())
        layout.addWidget(self._grid_area(), 1)
        layout.addWidget(self._plb_box())
        layout.addLayout(self._bottom_row())
        self._load_lists()
        self.refresh_figures()

    # --- construction ------------------------------------------------------------------------
    def _check_box(self) -> QGroupBox:
        box = QGroupBox("The check")
        self.payer_combo = QComboBox()
        self.payer_combo.setMinimumWidth(220)
        self.check_number = QLineEdit()
        self.check_number.setMaxLength(50)
        self.check_date = DateLineEdit()
        self.check_date.set_date(date.today())
        self.check_amount = MoneyLineEdit()
        self.check_amount.textChanged.connect(lambda _t: self.refresh_figures())
        row = QHBoxLayout(box)
        for label, w, width in (("Payer:", self.payer_combo, 0),
                                ("Check no.:", self.check_number, 140),
                                ("Check date:", self.check_date, 110),
                                ("Amount:", self.check_amount, 110)):
            row.addWidget(QLabel(label))
            if width:
                w.setFixedWidth(width)
            row.addWidget(w)
            row.addSpacing(10)
        row.addStretch(1)
        return box

    def _claim_row(self) -> QHBoxLayout:
        self.claim_edit = QLineEdit()
        self.claim_edit.setPlaceholderText("our claim no.")
        self.claim_edit.setFixedWidth(130)
        self.claim_edit.returnPressed.connect(self.add_claim)
        add = QPushButton("Add claim")
        add.setAutoDefault(False)
        add.clicked.connect(self.add_claim)
        self.remove_button = QPushButton("Remove claim")
        self.remove_button.setToolTip("Take the claim of the chosen row off this EOB.")
        self.remove_button.clicked.connect(self.remove_claim)
        self.undistributed = QLabel()
        font = self.undistributed.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.undistributed.setFont(font)
        row = QHBoxLayout()
        for w in (QLabel("Claim no.:"), self.claim_edit, add, self.remove_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.undistributed)
        return row

    def _grid_area(self) -> QSplitter:
        self.grid = EobGrid()
        self.grid.changed.connect(self.refresh_figures)
        self.grid.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._show_words(r))
        self.words = QLabel()
        self.words.setWordWrap(True)
        self.words.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        words = QGroupBox("The codes of the chosen row")
        QVBoxLayout(words).addWidget(self.words, 1)
        problems = QGroupBox("Problems (double-click one to go to its row)")
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems.setSpacing(3)
        self.problems.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.problems.itemActivated.connect(self._go_to_problem)
        self.problems.itemDoubleClicked.connect(self._go_to_problem)
        QVBoxLayout(problems).addWidget(self.problems)
        below = QSplitter(Qt.Orientation.Horizontal)
        below.addWidget(words)
        below.addWidget(problems)
        below.setSizes([450, 800])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.grid)
        split.addWidget(below)
        split.setSizes([420, 160])
        return split

    def _plb_box(self) -> QGroupBox:
        box = QGroupBox("Provider adjustment on the check (optional)")
        self.plb_reason = QComboBox()
        self.plb_reason.addItem("None", "")
        for code, words in PLB_REASONS.items():
            self.plb_reason.addItem(f"{code} – {words}", code)
        self.plb_reason.setMaximumWidth(330)
        self.plb_reference = QLineEdit()
        self.plb_reference.setMaxLength(50)
        self.plb_reference.setFixedWidth(160)
        self.plb_amount = MoneyLineEdit()
        self.plb_amount.setFixedWidth(100)
        self.plb_amount.setToolTip("Positive: taken from the check (WO recovery). Negative: "
                                   "added to it (L6 interest).")
        self.plb_reason.currentIndexChanged.connect(lambda _i: self.refresh_figures())
        self.plb_amount.textChanged.connect(lambda _t: self.refresh_figures())
        row = QHBoxLayout(box)
        for label, w in (("Reason:", self.plb_reason), ("Reference:", self.plb_reference),
                         ("Amount:", self.plb_amount)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
            row.addSpacing(10)
        row.addWidget(QLabel("(positive: taken from the check; negative: added to it)"))
        row.addStretch(1)
        return box

    def _bottom_row(self) -> QHBoxLayout:
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.post_button = QPushButton("Post")
        self.post_button.setAutoDefault(False)
        self.post_button.clicked.connect(self.post)
        row = QHBoxLayout()
        row.addWidget(self.result, 1)
        row.addWidget(self.clear_button)
        row.addWidget(self.post_button)
        return row

    def _load_lists(self) -> None:
        self.payer_combo.addItem("Choose the payer…", 0)
        try:
            for p in self._sv.directory.payers(active_only=True):
                self.payer_combo.addItem(p.name, p.id)
            if self._sv.codes is not None:
                self.grid.carcs = self._sv.codes.descriptions("carc")
                self.grid.rarcs = self._sv.codes.descriptions("rarc")
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)

    # --- claims --------------------------------------------------------------------------------
    def add_claim(self) -> None:
        """Load the lines of the claim typed into the grid."""
        m = CLAIM_NUMBER.fullmatch(self.claim_edit.text())
        if m is None:
            self._problems([f"Claim no.: type our claim number ({self.claim_edit.text()!r} "
                            "is not one)."])
            return
        claim_id = int(m.group(1))
        if claim_id in self.grid.claim_ids():
            self._problems([f"Claim {claim_id} is already on this EOB."])
            return
        try:
            rows = self._sv.payments.eob_lines(claim_id)
        except UserError as exc:
            self._problems([str(exc)])
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        if not rows:
            self._problems([f"Claim {claim_id} has no lines to post."])
            return
        self.claim_edit.clear()
        self._problems([])
        self.grid.first_editable(self.grid.add_claim(claim_id, str(claim_id), rows))

    def remove_claim(self) -> None:
        row = self.grid.currentRow()
        if 0 <= row < len(self.grid.lines):
            self.grid.remove_claim(self.grid.lines[row].claim_id)

    # --- figures ---------------------------------------------------------------------------------
    def _plb(self) -> tuple[EobProviderAdjustment, ...]:
        reason = str(self.plb_reason.currentData() or "")
        amount = self.plb_amount.money_value()
        if not reason and amount is None and not self.plb_reference.text().strip():
            return ()
        return (EobProviderAdjustment(reason, self.plb_reference.text(),
                                      amount if amount is not None else ZERO),)

    def eob_data(self, problems: dict[str, str] | None = None) -> EobData:
        """The check as typed (see EobGrid.eob_claims for `problems`)."""
        amount = self.check_amount.money_value()
        return EobData(int(self.payer_combo.currentData() or 0), self.check_number.text(),
                       self.check_date.date_value() or date.today(),
                       amount if amount is not None else ZERO,
                       self.grid.eob_claims(problems), self._plb())

    def refresh_figures(self) -> None:
        if not self.check_amount.is_readable():
            alarm(self.undistributed, "Undistributed: the check amount is not an amount", True)
            return
        left = self._sv.payments.undistributed(self.eob_data())
        alarm(self.undistributed, f"Undistributed: {dollars(left)}", left != 0)
        self._show_words(self.grid.currentRow())

    def _show_words(self, row: int) -> None:
        self.words.setText(self.grid.describe_row(row) or "No codes on this row yet.")

    # --- posting -------------------------------------------------------------------------------
    def _input_problems(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not self.check_amount.text().strip() or not self.check_amount.is_readable():
            problems["check amount"] = "Enter the check amount as printed (0.00 for none)."
        if self.check_date.date_value() is None:
            problems["check date"] = "Enter the date printed on the check as MM/DD/YYYY."
        if not self.plb_amount.is_readable():
            problems["provider adjustment"] = "The amount is not an amount; type it as 12.50."
        return problems

    def post(self) -> None:
        """Post in the background; a refusal keeps the grid as typed."""
        problems = self._input_problems()
        eob = self.eob_data(problems)
        if problems:
            self._problems([f"{k}: {m}" for k, m in problems.items()])
            return
        self._problems([])
        self.post_button.setEnabled(False)
        run_in_background(lambda: self._sv.payments.post_eob(eob), self._posted, self._failed,
                          parent=self, progress="Posting the EOB…")

    def _failed(self, exc: BaseException) -> None:
        self.post_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self._problems([f"{k}: {m}" for k, m in exc.problems.items()])
        elif isinstance(exc, UserError):
            self._problems([ln.lstrip("• ") for ln in str(exc).splitlines() if ln.strip()])
        else:
            show_error(self, exc)

    def _posted(self, r: CheckResult) -> None:
        self.post_button.setEnabled(True)
        self.clear()
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.setText(result_text(r))

    def clear(self) -> None:
        """Empty the check and the grid for the next EOB (the payer and date stay)."""
        for w in (self.check_number, self.check_amount, self.plb_reference, self.plb_amount,
                  self.claim_edit):
            w.clear()
        self.plb_reason.setCurrentIndex(0)
        self.grid.clear_rows()
        self.result.clear()
        self._problems([])

    def _problems(self, lines: list[str]) -> None:
        self.problems.clear()
        for text in lines:
            self.problems.addItem(QListWidgetItem(text))

    def problem_texts(self) -> list[str]:
        return [self.problems.item(i).text() for i in range(self.problems.count())]

    def _go_to_problem(self, item: QListWidgetItem) -> None:
        row = self.grid.row_of(item.text().split(":", 1)[0])
        if row is not None:
            self.grid.setFocus()
            self.grid.setCurrentCell(row, self.grid.currentColumn() if
                                     self.grid.currentColumn() >= 0 else 0)
