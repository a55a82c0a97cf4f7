"""The administrator's editor for the patient-statement settings and the dunning messages
(app.services.statements: `StatementService.settings` / `save_settings`).

Opened with `open()` (never blocks); `saved(StatementSettingsData)` once the service has
stored them. A refusal is shown in red under the field it is about (the dunning levels'
under their table) and the dialog stays open with nothing saved; a refusal that is about no
one field (not an administrator) is shown in the red line above the buttons."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.formats.identifiers import digits
from app.models.statements import REMAINDER, STANDARD
from app.services.statements import DunningLevelData, StatementService, StatementSettingsData
from app.ui.errors import show_error
from app.ui.tabs.plans.dialogs import _Dialog, problem_label, say
from app.ui.widgets.form import MoneyLineEdit, format_phone, note

Index = QModelIndex | QPersistentModelIndex

WIDTH = 780  # fixed first, so the wrapped notes get the height they need
MAX_LEVELS = 10  # the service takes 1 to 10 levels, each after 0 to 50 statements
MAX_THRESHOLD = 50
MESSAGE_LINES = 3  # a level's row shows this many lines of its message
THRESHOLD, MESSAGE = 0, 1

KINDS = {STANDARD: "Standard: the whole balance the patient owes",
         REMAINDER: "Remainder: only visits insurance has finished with"}

INTRO = ("How statement runs choose the accounts to bill and what the statements say. "
         "Changes apply from the next statement run.")
DUNNING_NOTE = (
    "Each level applies once an account was already sent that many statements without "
    "paying what they asked for (0: the first statement; paying starts the count again). "
    "The message of the highest level reached prints on the statement; leave a message "
    "empty to print none. The last level (the highest number) is the final notice: once it "
    "has been out for the days set above and the account still owes, the account can be "
    "handed to collections.")
HOW_TO_PAY_NOTE = ("One way to pay per line, at most 6. Leave it empty to print: by mail, "
                   "by phone, and in person at the front desk.")
NOT_SAVED = "Not saved: fix what is marked in red."
NO_AMOUNT = "Enter an amount from $0.00 to $1,000.00 (0.00: any balance gets a statement)."
NOT_AN_AMOUNT = "This is not an amount; type it as 5.00."

PHONE_PUNCTUATION = set(" ()-.+")


def phone_digits(text: str) -> str:
    """"(555) 123-4567" → "5551234567" (a leading country code 1 dropped); text with more
    than digits and the usual punctuation (an extension, a letter) is kept as typed, so the
    service names the problem rather than a wrong number being saved."""
    typed = text.strip()
    if not all(ch.isdigit() or ch in PHONE_PUNCTUATION for ch in typed):
        return typed
    number = digits(typed)
    return number[1:] if len(number) == 11 and number.startswith("1") else number


class ThresholdDelegate(QStyledItemDelegate):
    """"After statements sent" is edited in a spin box (0 to 50), saved as it changes."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        spin = QSpinBox(parent)
        spin.setRange(0, MAX_THRESHOLD)
        spin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        spin.valueChanged.connect(lambda _v: self.commitData.emit(spin))
        return spin

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QSpinBox)
        editor.setValue(int(index.data(Qt.ItemDataRole.EditRole) or 0))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, QSpinBox)
        model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)


class MessageDelegate(QStyledItemDelegate):
    """A message is edited in place, wrapped over the row's lines; every keystroke is kept
    in the table, so Save never misses what is still being typed."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        edit = QPlainTextEdit(parent)
        edit.setTabChangesFocus(True)
        edit.textChanged.connect(lambda: self.commitData.emit(edit))
        return edit

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QPlainTextEdit)
        text = str(index.data(Qt.ItemDataRole.EditRole) or "")
        if editor.toPlainText() != text:  # committing each keystroke must not move the cursor
            editor.setPlainText(text)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, QPlainTextEdit)
        model.setData(index, editor.toPlainText(), Qt.ItemDataRole.EditRole)


class StatementSettingsDialog(_Dialog):
    """Widgets: minimum_balance, days_between, due_days, collections_after_days,
    default_kind, billing_phone, how_to_pay, dunning (the levels' table), add_level_button,
    remove_level_button, ok_button; `field_problems[name]` is the red line under a field
    (`dunning` under the table) and `problem` the one above the buttons."""

    def __init__(self, statements: StatementService, parent: QWidget | None = None) -> None:
        super().__init__("Statement settings", "Save settings", parent)
        self._statements = statements
        current = statements.settings()  # a refusal is the caller's to show
        self.field_problems: dict[str, QLabel] = {}
        layout = self._layout = QVBoxLayout(self)
        layout.addWidget(note(INTRO))
        layout.addWidget(self._runs_box())
        layout.addWidget(self._printed_box())
        layout.addWidget(self._dunning_box(), 1)
        self.finish(layout, WIDTH)
        # The minimum size is this dialog's own (_fit_height), not the layout's.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetDefaultConstraint)
        self._fit_height()
        self.set_settings(current)

    # --- building ---------------------------------------------------------------------------
    def _runs_box(self) -> QGroupBox:
        box = QGroupBox("Statement runs")
        self.minimum_balance = MoneyLineEdit()
        self.minimum_balance.setFixedWidth(100)
        self.days_between = _spin(0, 365, " days")
        self.due_days = _spin(1, 90, " days")
        self.collections_after_days = _spin(0, 365, " days")
        self.default_kind = QComboBox()
        for kind, text in KINDS.items():
            self.default_kind.addItem(text, kind)
        form = _form(box)
        form.addRow("Minimum balance to send a statement:", self._field(
            "minimum_balance", self.minimum_balance, "accounts owing less get none"))
        form.addRow("Days between statements:", self._field(
            "days_between", self.days_between, "0 means no limit: a statement every run"))
        form.addRow("Payment due:", self._field(
            "due_days", self.due_days, "after the statement date"))
        form.addRow("Send to collections:", self._field(
            "collections_after_days", self.collections_after_days, "after a final notice"))
        form.addRow("Default statement kind:", self._field("default_kind", self.default_kind))
        return box

    def _printed_box(self) -> QGroupBox:
        box = QGroupBox("Printed on every statement")
        self.billing_phone = QLineEdit()
        self.billing_phone.setFixedWidth(140)
        self.billing_phone.setMaxLength(20)
        self.billing_phone.setPlaceholderText("(555) 123-4567")
        self.how_to_pay = QPlainTextEdit()
        self.how_to_pay.setTabChangesFocus(True)
        self.how_to_pay.setPlaceholderText("Online: pay.example.org\n"
                                           "By phone: call the billing office")
        lines = self.how_to_pay.fontMetrics().lineSpacing()
        self.how_to_pay.setFixedHeight(6 * lines + 12)
        form = _form(box)
        form.addRow("Billing phone:", self._field(
            "billing_phone", self.billing_phone,
            "for billing questions; leave it empty to use the practice's phone"))
        form.addRow("How to pay:", self._field("how_to_pay", self.how_to_pay,
                                               HOW_TO_PAY_NOTE, beside=False))
        return box

    def _dunning_box(self) -> QGroupBox:
        box = QGroupBox("Dunning messages")
        self.dunning = QTableWidget(0, 2)
        self.dunning.setHorizontalHeaderLabels(["After statements sent", "Message"])
        self.dunning.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.dunning.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.dunning.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                     | QAbstractItemView.EditTrigger.SelectedClicked
                                     | QAbstractItemView.EditTrigger.EditKeyPressed
                                     | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.dunning.setWordWrap(True)
        self.dunning.setTabKeyNavigation(False)
        self.dunning.setItemDelegateForColumn(THRESHOLD, ThresholdDelegate(self.dunning))
        self.dunning.setItemDelegateForColumn(MESSAGE, MessageDelegate(self.dunning))
        header = self.dunning.horizontalHeader()
        header.setSectionResizeMode(THRESHOLD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(MESSAGE, QHeaderView.ResizeMode.Stretch)
        rows = self.dunning.verticalHeader()
        row_height = MESSAGE_LINES * self.dunning.fontMetrics().lineSpacing() + 14
        rows.setDefaultSectionSize(row_height)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.dunning.setMinimumHeight(header.sizeHint().height() + 4 * row_height + 4)
        self.dunning.itemChanged.connect(lambda _item: self._levels_changed())
        self.dunning.itemSelectionChanged.connect(self._levels_changed)
        self.add_level_button = QPushButton("Add level")
        self.add_level_button.setAutoDefault(False)
        self.add_level_button.clicked.connect(self.add_level)
        self.remove_level_button = QPushButton("Remove level")
        self.remove_level_button.setAutoDefault(False)
        self.remove_level_button.clicked.connect(self.remove_level)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_level_button)
        buttons.addWidget(self.remove_level_button)
        buttons.addStretch(1)
        column = QVBoxLayout(box)
        column.addWidget(note(DUNNING_NOTE))
        column.addWidget(self.dunning, 1)
        column.addWidget(self._problem_line("dunning"))
        column.addLayout(buttons)
        return box

    def _field(self, name: str, editor: QWidget, hint: str = "", *,
               beside: bool = True) -> QWidget:
        """The editor, its hint (beside it, or under it), and its red problem line."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if beside:
            line = QHBoxLayout()
            line.addWidget(editor)
            if hint:
                line.addWidget(note(hint), 1)
            else:
                line.addStretch(1)
            column.addLayout(line)
        else:
            column.addWidget(editor)
            column.addWidget(note(hint))
        column.addWidget(self._problem_line(name))
        return box

    def _problem_line(self, name: str) -> QLabel:
        self.field_problems[name] = problem_label()
        return self.field_problems[name]

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_height()  # the wrapped lines know their height only once laid out

    def _fit_height(self) -> None:
        """The layout's minimum leaves out the height the wrapped notes and red lines need at
        the fixed width (the table then slides under its buttons): ask for that height."""
        self._layout.activate()
        width = self._layout.minimumSize().width()
        needed = self._layout.totalHeightForWidth(width)  # the most, at the narrowest
        self.setMinimumSize(width, needed)
        self.resize(max(self.width(), width), max(self.height(), needed))

    # --- the values ---------------------------------------------------------------------------
    def set_settings(self, d: StatementSettingsData) -> None:
        self.minimum_balance.set_money(d.minimum_balance)
        self.days_between.setValue(d.days_between)
        self.due_days.setValue(d.due_days)
        self.collections_after_days.setValue(d.collections_after_days)
        i = self.default_kind.findData(d.default_kind)
        self.default_kind.setCurrentIndex(max(i, 0))
        self.billing_phone.setText(format_phone(d.billing_phone))
        self.how_to_pay.setPlainText("\n".join(d.how_to_pay))
        self.dunning.setRowCount(0)
        for level in d.dunning:
            self._append_level(level)
        self._levels_changed()

    def settings_value(self) -> StatementSettingsData:
        """What the form says (an unreadable minimum balance is `input_problems`' to name)."""
        money = self.minimum_balance.money_value()
        return StatementSettingsData(
            minimum_balance=money if money is not None else Decimal("0.00"),
            days_between=self.days_between.value(), due_days=self.due_days.value(),
            collections_after_days=self.collections_after_days.value(),
            default_kind=str(self.default_kind.currentData()),
            billing_phone=phone_digits(self.billing_phone.text()),
            how_to_pay=tuple(x.strip() for x in self.how_to_pay.toPlainText().splitlines()
                             if x.strip()),
            dunning=self.levels())

    def levels(self) -> tuple[DunningLevelData, ...]:
        return tuple(DunningLevelData(self._threshold(r), self._message(r))
                     for r in range(self.dunning.rowCount()))

    def input_problems(self) -> dict[str, str]:
        """What cannot even be read, before the service is asked."""
        text = self.minimum_balance.text().strip()
        if not text:
            return {"minimum_balance": NO_AMOUNT}
        return {} if self.minimum_balance.is_readable() else {"minimum_balance": NOT_AN_AMOUNT}

    # --- the dunning levels -----------------------------------------------------------------
    def _threshold(self, row: int) -> int:
        item = self.dunning.item(row, THRESHOLD)
        return int(item.data(Qt.ItemDataRole.EditRole) or 0) if item is not None else 0

    def _message(self, row: int) -> str:
        item = self.dunning.item(row, MESSAGE)
        return item.text() if item is not None else ""

    def _append_level(self, level: DunningLevelData) -> QTableWidgetItem:
        """A row at the end; its message item."""
        row = self.dunning.rowCount()
        self.dunning.insertRow(row)
        count = QTableWidgetItem()
        count.setData(Qt.ItemDataRole.EditRole, level.threshold)
        count.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        message = QTableWidgetItem(level.message)
        message.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.dunning.setItem(row, THRESHOLD, count)
        self.dunning.setItem(row, MESSAGE, message)
        return message

    def add_level(self) -> None:
        """A new last level, one statement after the highest so far; its message to type."""
        highest = max((x.threshold for x in self.levels()), default=-1)
        message = self._append_level(DunningLevelData(min(highest + 1, MAX_THRESHOLD), ""))
        self.dunning.setCurrentItem(message)
        self.dunning.scrollToItem(message)
        if self.isVisible():
            self.dunning.editItem(message)
        self._levels_changed()

    def remove_level(self) -> None:
        """The selected level (the last one when none is selected)."""
        rows = self.dunning.selectionModel().selectedRows()
        row = rows[0].row() if rows else self.dunning.rowCount() - 1
        if self.dunning.rowCount() > 1 and row >= 0:
            self.dunning.removeRow(row)
        self._levels_changed()

    def _levels_changed(self) -> None:
        """Row labels say which level is the final notice; the buttons keep 1 to 10 levels."""
        thresholds = [x.threshold for x in self.levels()]
        final = thresholds.index(max(thresholds)) if thresholds else -1
        order = sorted(thresholds)
        self.dunning.setVerticalHeaderLabels(
            ["Final notice" if r == final else f"Level {order.index(t) + 1}"
             for r, t in enumerate(thresholds)])
        self.add_level_button.setEnabled(len(thresholds) < MAX_LEVELS)
        self.remove_level_button.setEnabled(len(thresholds) > 1)

    # --- saving -------------------------------------------------------------------------------
    def submit(self) -> None:
        self.show_problems({})
        if problems := self.input_problems():
            self.show_problems(problems)
            return
        try:
            stored = self._statements.save_settings(self.settings_value())
        except ValidationError as exc:
            self.show_problems(exc.problems)
            return
        except UserError as exc:
            say(self.problem, str(exc))
            self._fit_height()
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.result_value = stored
        self.saved.emit(stored)
        self.accept()

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Each problem under its field; one about no field in the line above the buttons."""
        for name, label in self.field_problems.items():
            say(label, problems.get(name, ""))
        others = [f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in problems.items()
                  if k not in self.field_problems]
        say(self.problem, "\n".join([NOT_SAVED, *others]) if problems else "")
        self._fit_height()


def _spin(low: int, high: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    spin.setFixedWidth(100)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    return spin


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    return form
