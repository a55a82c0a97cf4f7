"""The Payments tab's "Work queues" page: the follow-up queues (app.services.followup) with
their open counts, denials by category, and the chosen queue's items worked top to bottom
from the keyboard: Up/Down move, Enter opens the claim, and each action has its shortcut on
its button. After an action on an item the next one is chosen, so a queue is worked without
the mouse. Below the list: the item's detail, its notes and the calls about its claim."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.context import UserContext
from app.services.followup import (
    DENIALS,
    QUEUES,
    UNDERPAYMENTS,
    UNPAID,
    CategoryCount,
    WorkRow,
)
from app.services.payer_calls import CallRow
from app.services.permissions import Permission
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import ERROR_COLOUR, money_text
from app.ui.tabs.payments.appeal_dialog import AppealDialog
from app.ui.tabs.payments.call_dialog import CallDialog
from app.ui.tabs.payments.follow_up_text import detail_html, queue_html, refresh_text
from app.ui.tabs.payments.item_dialogs import assign_dialog, next_action_dialog, note_dialog
from app.ui.tabs.payments.queue_tree import QueueTree
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import heading, note

COLUMNS = ("Claim", "Patient", "Payer", "Amount", "Age", "Due", "Next action", "Assignee",
           "State")
NEXT_ACTION_COLUMN, DUE_COLUMN = 6, 5
STATES = {"open": "Open", "waiting": "Waiting", "done": "Done"}
ANYONE, ME, UNASSIGNED = "anyone", "me", "unassigned"
APPEALABLE = (DENIALS, UNDERPAYMENTS)
CALLS_DELAY_MS = 200  # holding Down does not read (and audit) the calls of every row passed
# (label, shortcut, slot name). Ctrl+L locks the window and Ctrl+A selects all: the call and
# the assignment take other keys.
ACTIONS = (("Next action…", "Ctrl+N", "next_action"), ("Assign…", "Ctrl+G", "assign"),
           ("Note…", "Ctrl+E", "add_note"), ("Waiting", "Ctrl+W", "mark_waiting"),
           ("Done", "Ctrl+D", "mark_done"), ("Call payer…", "Ctrl+K", "call_payer"),
           ("Appeal…", "Ctrl+P", "appeal"))


def can_work_queues(ctx: UserContext) -> bool:
    return ctx.can(Permission.WORK_FOLLOW_UP)


def key_text(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


class QueuesPage(QWidget):
    openClaim = Signal(int)

    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.dialog: Any = None
        self.rows: list[WorkRow] = []
        self.calls: list[CallRow] = []
        self.people: dict[str, str] = {}
        self.categories: list[CategoryCount] = []
        self.queue, self.category = UNPAID, ""
        self._loaded = False
        self.buttons: dict[str, QPushButton] = {}
        self._calls_timer = QTimer(self, singleShot=True, interval=CALLS_DELAY_MS)
        self._calls_timer.timeout.connect(self._load_calls)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Work queues"))
        layout.addWidget(note("What to chase, one queue per kind of trouble, most urgent first. "
                              "Work a queue from the keyboard: Up and Down move, Enter opens "
                              "the claim, and each button's key does its action and moves on."))
        layout.addLayout(self._filters())
        layout.addLayout(self._action_row())
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.hide()  # until a refresh has something to say
        layout.addWidget(self.result)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.tree = QueueTree()
        self.tree.chosen.connect(self._queue_chosen)
        split.addWidget(self.tree)
        split.addWidget(self._work_area())
        split.setStretchFactor(1, 1)
        split.setSizes([250, 1050])
        layout.addWidget(split, 1)

    # --- construction ------------------------------------------------------------------------
    def _filters(self) -> QHBoxLayout:
        self.payer_combo = QComboBox()
        self.assignee_combo = QComboBox()
        for label, data in (("Anyone", ANYONE), ("Me", ME), ("Nobody yet", UNASSIGNED)):
            self.assignee_combo.addItem(label, data)
        self.state_combo = QComboBox()
        for state, label in STATES.items():
            self.state_combo.addItem(label, state)
        self.state_combo.addItem("Any state", "")
        self.refresh_button = QPushButton(f"Refresh queues ({key_text('F5')})")
        self.refresh_button.setShortcut(QKeySequence("F5"))
        self.refresh_button.setToolTip("Raise what is due today (unpaid claims, filing limits, "
                                       "missed promises) and close what was settled.")
        self.refresh_button.clicked.connect(self.refresh_queues)
        row = QHBoxLayout()
        for label, combo in (("Payer:", self.payer_combo), ("Assigned to:", self.assignee_combo),
                             ("State:", self.state_combo)):
            combo.currentIndexChanged.connect(lambda _i: self.load_items())
            row.addWidget(QLabel(label))
            row.addWidget(combo)
            row.addSpacing(12)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        return row

    def _work_area(self) -> QWidget:
        self.queue_label = QLabel()
        self.queue_label.setWordWrap(True)
        self.table = read_only_table(COLUMNS, multi=True, stretch=NEXT_ACTION_COLUMN)
        self.table.setWordWrap(False)
        self.table.activated.connect(lambda _index: self.open_claim())
        self.table.itemSelectionChanged.connect(self._row_changed)
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([420, 260])
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.queue_label)
        column.addWidget(split, 1)
        area = QWidget()
        area.setLayout(column)
        return area

    def _action_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.open_button = QPushButton(f"Open claim ({key_text('Return')})")
        self.open_button.clicked.connect(self.open_claim)
        row.addWidget(self.open_button)
        for label, key, slot in ACTIONS:
            button = QPushButton(f"{label} ({key_text(key)})")
            button.setShortcut(QKeySequence(key))
            button.clicked.connect(getattr(self, slot))
            self.buttons[slot] = button
            row.addWidget(button)
        row.addStretch(1)
        return row

    # --- loading -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def reload(self) -> None:
        """Counts, filters and the chosen queue's items, read again."""
        try:
            counts = self._sv.work.counts()
            categories = self._sv.work.categories()
            if not self._loaded:
                self._fill_filters()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._loaded = True
        self.categories = categories
        self.queue, self.category = self.tree.fill(counts, categories,
                                                   (self.queue, self.category))
        self.load_items()

    def _fill_filters(self) -> None:
        self.people = dict(self._sv.work.assignees())
        self.payer_combo.blockSignals(True)
        self.payer_combo.addItem("All payers", 0)
        for p in self._sv.directory.payers():
            self.payer_combo.addItem(p.name, p.id)
        self.payer_combo.blockSignals(False)

    def _queue_chosen(self, queue: str, category: str) -> None:
        self.queue, self.category = queue, category
        self.load_items()

    def choose_queue(self, queue: str, category: str = "") -> None:
        """Show one queue (or one denial category) as if chosen in the list."""
        item = self.tree.item_of(queue, category)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _assignee(self) -> str | None:
        chosen = self.assignee_combo.currentData()
        user = self._sv.ctx.user
        if chosen == ME:
            return user.username if user else ""
        return "" if chosen == UNASSIGNED else None

    def load_items(self) -> None:
        """The chosen queue's items with the filters; the first chosen."""
        try:
            self.rows = self._sv.work.items(
                self.queue, payer_id=self.payer_combo.currentData() or None,
                category=self.category or None, assignee=self._assignee(),
                state=self.state_combo.currentData() or None)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._describe_queue()
        fill_table(self.table, [self._cells(r) for r in self.rows], right=(0, 3, 4))
        self._decorate()
        self.table.clearSelection()
        if self.rows:
            self.choose_row(0)
        self._row_changed()  # also when the same row is chosen again with new content

    def _describe_queue(self) -> None:
        cat = next((c for c in self.categories if c.key == self.category), None)
        self.queue_label.setText(queue_html(QUEUES[self.queue], cat, len(self.rows)))

    def _cells(self, r: WorkRow) -> tuple[str, ...]:
        return (r.claim_number, r.patient_name, r.payer_name, money_text(r.amount),
                f"{r.age_days} d", date_text(r.due_on), r.next_action,
                self.people.get(r.assignee, r.assignee), STATES.get(r.state, r.state))

    def _decorate(self) -> None:
        today = date.today()
        for i, r in enumerate(self.rows):
            cell = self.table.item(i, DUE_COLUMN)
            if cell is not None and r.due_on and r.due_on < today and r.state != "done":
                cell.setForeground(QColor(ERROR_COLOUR))
                cell.setToolTip("Overdue")
            if (action := self.table.item(i, NEXT_ACTION_COLUMN)) is not None:
                action.setToolTip(r.next_action)  # the column may cut it short

    # --- the chosen item ---------------------------------------------------------------------
    def choose_row(self, i: int) -> None:
        """That row alone (selectRow would add to the selection while Ctrl is still held
        from the shortcut that got us here)."""
        index = self.table.model().index(min(i, len(self.rows) - 1), 0)
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)

    def current(self) -> WorkRow | None:
        i = self.table.currentRow()
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def chosen(self) -> list[WorkRow]:
        """The selected rows (several for an assignment), else the current one."""
        picked = sorted({ix.row() for ix in self.table.selectionModel().selectedRows()})
        rows = [self.rows[i] for i in picked if i < len(self.rows)]
        return rows or [r for r in (self.current(),) if r is not None]

    def _row_changed(self) -> None:
        row = self.current()
        self.calls = []
        self._enable(row)
        self._show_detail(row, calls_loading=bool(row and row.claim_id))
        if row is not None and row.claim_id:
            self._calls_timer.start()

    def _enable(self, row: WorkRow | None) -> None:
        on = row is not None
        self.open_button.setEnabled(on and bool(row and row.claim_id))
        for button in self.buttons.values():
            button.setEnabled(on)
        if row is not None:
            self.buttons["mark_waiting"].setEnabled(row.state != "waiting")
            self.buttons["mark_done"].setEnabled(row.state != "done")
            self.buttons["call_payer"].setEnabled(bool(row.payer_id))
            self.buttons["appeal"].setEnabled(self.queue in APPEALABLE and bool(row.claim_id))

    def _load_calls(self) -> None:
        row = self.current()
        if row is None or not row.claim_id:
            return
        try:
            self.calls = self._sv.calls.calls_for_claim(row.claim_id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._show_detail(row)

    def _show_detail(self, row: WorkRow | None, calls_loading: bool = False) -> None:
        if row is None:
            self.detail.setHtml("<i>Nothing to work in this queue with these filters.</i>")
            return
        self.detail.setHtml(detail_html(row, self.calls, calls_loading,
                                        self.people.get(row.assignee, row.assignee)))

    # --- actions on the item -----------------------------------------------------------------
    def open_claim(self) -> None:
        row = self.current()
        if row is not None and row.claim_id:
            self.openClaim.emit(row.claim_id)

    def _after(self, done: WorkRow) -> None:
        """Read everything again and choose the item after `done` (the same place when it
        left the list)."""
        index = next((i for i, r in enumerate(self.rows) if r.id == done.id), 0)
        self.reload()
        if self.rows:
            still = index < len(self.rows) and self.rows[index].id == done.id
            self.choose_row(index + 1 if still else index)
        self.table.setFocus()

    def _open(self, dialog: Any, row: WorkRow) -> None:
        self.dialog = dialog
        dialog.saved.connect(lambda _result: self._after(row))
        dialog.open()

    def next_action(self) -> None:
        if (row := self.current()) is not None:
            self._open(next_action_dialog(self._sv, row, self), row)

    def assign(self) -> None:
        rows = self.chosen()
        if rows:
            self._open(assign_dialog(self._sv, rows, self.people, self), rows[-1])

    def add_note(self) -> None:
        if (row := self.current()) is not None:
            self._open(note_dialog(self._sv, row, self), row)

    def mark_waiting(self) -> None:
        self._set_state("waiting")

    def mark_done(self) -> None:
        self._set_state("done")

    def _set_state(self, state: str) -> None:
        row = self.current()
        if row is None:
            return
        try:
            self._sv.work.update(row.id, state=state)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._after(row)

    def call_payer(self) -> None:
        """Log a call about the item's claim; the item stays chosen to set what comes next."""
        row = self.current()
        if row is None or not row.payer_id:
            return
        self.dialog = CallDialog(self._sv, [row.claim_id] if row.claim_id else [],
                                 row.payer_id, self)
        self.dialog.saved.connect(lambda _call: self._load_calls())
        self.dialog.open()

    def appeal(self) -> None:
        row = self.current()
        if row is None or not row.claim_id or self.queue not in APPEALABLE:
            return
        self.dialog = AppealDialog(self._sv, row.claim_id, row.claim_number, self)
        self.dialog.saved.connect(lambda _a: self._after(row))
        self.dialog.open()

    # --- refreshing the computed queues ------------------------------------------------------
    def refresh_queues(self) -> None:
        self.refresh_button.setEnabled(False)
        run_in_background(self._sv.work.refresh, self._refreshed, self._refresh_failed,
                          parent=self, progress="Refreshing the work queues…")

    def _say(self, text: str, problem: bool = False) -> None:
        self.result.setStyleSheet(f"color: {ERROR_COLOUR};" if problem else "")
        self.result.setText(text)
        self.result.setVisible(bool(text))

    def _refreshed(self, out: dict[str, int]) -> None:
        self.refresh_button.setEnabled(True)
        self._say(refresh_text(out))
        self.reload()

    def _refresh_failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        if isinstance(exc, UserError):
            self._say(str(exc), problem=True)
        else:
            show_error(self, exc)
