"""The grid of the "Post EOB" page: one row per service line of the claims on a paper EOB,
typed from the keyboard. Typing in a cell starts editing it; Tab and Shift+Tab move across
the editable cells only (amounts, adjustment group/reason/amount ×3, remarks, and on a
claim's first row its status and the payer's claim number). The last column is what the
row leaves unexplained (charge − paid − adjustments), red while it is not zero; a CARC cell
carries its wording as its tooltip."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.formats.adjustment_codes import describe_adjustment, describe_remark
from app.services.payments import EobClaim, EobGridRow, EobLine
from app.ui.tabs.coding import ERROR_COLOUR, RIGHT, money_text
from app.ui.widgets.form import parse_money

ZERO = Decimal("0.00")
STATUSES = {"1": "1 Primary", "2": "2 Secondary", "3": "3 Tertiary", "4": "4 Denied",
            "22": "22 Reversal"}
GROUPS = ("CO", "PR", "OA", "PI", "CR")
ADJUSTMENTS = 3
# (title, the widest text it usually holds); the adjustment triples follow ALLOWED/PAID.
# Two-line titles keep the 20 columns within the page's width.
FIXED = (("Claim", "99999"), ("DOS", "12/31/2026"), ("Code", "99213-25"),
         ("Charge", "9,999.00"), ("Payer\nowes", "9,999.00"), ("Status", "22 Reversal"),
         ("Payer's\nICN", "ICN123456"), ("Allowed", "9,999.00"), ("Paid", "9,999.00"))
CLAIM, DOS, CODE, CHARGE, OWED, STATUS, ICN, ALLOWED, PAID = range(len(FIXED))
FIRST_ADJ = len(FIXED)
REMARKS = FIRST_ADJ + 3 * ADJUSTMENTS
UNEXPLAINED = REMARKS + 1
_TRIPLES = tuple(((f"Grp\n{n}", "CO"), (f"CARC\n{n}", "B22"), (f"Adj\n{n}", "999.00"))
                 for n in range(1, ADJUSTMENTS + 1))
HEADERS = (*FIXED, *(h for t in _TRIPLES for h in t), ("Remarks", "N130 MA01"),
           ("Unexplained", "-9,999.00"))
COLUMNS = tuple(t.replace("\n", " ") for t, _s in HEADERS)
PADDING = 14
MONEY_COLUMNS = frozenset({ALLOWED, PAID, *(FIRST_ADJ + 3 * n + 2 for n in range(ADJUSTMENTS))})
GROUP_COLUMNS = frozenset(FIRST_ADJ + 3 * n for n in range(ADJUSTMENTS))
CARC_COLUMNS = frozenset(FIRST_ADJ + 3 * n + 1 for n in range(ADJUSTMENTS))
LINE_COLUMNS = frozenset({ALLOWED, PAID, REMARKS, *range(FIRST_ADJ, REMARKS)})
CLAIM_COLUMNS = frozenset({STATUS, ICN})
RIGHT_COLUMNS = frozenset({CHARGE, OWED, UNEXPLAINED, *MONEY_COLUMNS})
MONEY_PATTERN = r"-?\$?[0-9,]{0,9}(\.[0-9]{0,2})?"
CODE_PATTERN = r"[A-Za-z0-9]{0,5}"
REMARK_PATTERN = r"[A-Za-z0-9 ,]{0,40}"
PROBLEM_ROW = re.compile(r"claim (\S+), row (\d+)")


@dataclass(frozen=True)
class GridLine:
    """What a grid row stands for: a line of a claim added to the EOB."""

    claim_id: int
    claim_label: str
    line: EobGridRow
    first: bool  # the claim's first row carries its status and the payer's claim number


def _money(text: str) -> Decimal | None:
    try:
        return parse_money(text)
    except ValueError:
        return None


class GridDelegate(QStyledItemDelegate):
    """The editor each column needs: amounts, codes in capitals, a status list."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,  # noqa: N802
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        col = index.column()
        if col == STATUS:
            combo = QComboBox(parent)
            for code, label in STATUSES.items():
                combo.addItem(label, code)
            return combo
        if col in GROUP_COLUMNS:
            return self._group_editor(parent)
        edit = QLineEdit(parent)
        pattern = (MONEY_PATTERN if col in MONEY_COLUMNS else REMARK_PATTERN if col == REMARKS
                   else CODE_PATTERN if col in CARC_COLUMNS else r".{0,50}")
        edit.setValidator(QRegularExpressionValidator(pattern, edit))
        if col in MONEY_COLUMNS:
            edit.setAlignment(RIGHT)
        return edit

    @staticmethod
    def _group_editor(parent: QWidget) -> QComboBox:
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItems(["", *GROUPS])
        line = combo.lineEdit()
        assert line is not None  # an editable combo has its line edit
        line.setValidator(QRegularExpressionValidator(r"[A-Za-z]{0,2}", line))
        return combo

    def setEditorData(self, editor: QWidget,  # noqa: N802 - Qt's name
                      index: QModelIndex | QPersistentModelIndex) -> None:
        text = str(index.data() or "")
        if isinstance(editor, QComboBox) and not editor.isEditable():
            editor.setCurrentIndex(max(editor.findData(index.data(Qt.ItemDataRole.UserRole)),
                                       0))
        elif isinstance(editor, QComboBox):
            editor.setEditText(text)
        elif isinstance(editor, QLineEdit):
            editor.setText(text)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,  # noqa: N802
                     index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox) and not editor.isEditable():
            model.setData(index, editor.currentData(), Qt.ItemDataRole.UserRole)
            model.setData(index, editor.currentText())
            return
        text = (editor.currentText() if isinstance(editor, QComboBox)
                else editor.text() if isinstance(editor, QLineEdit) else "").strip()
        if index.column() in MONEY_COLUMNS:
            value = _money(text)
            text = money_text(value) if value is not None else text
        elif index.column() != REMARKS:
            text = text.upper()
        else:
            text = " ".join(text.upper().replace(",", " ").split())
        model.setData(index, text)


class EobGrid(QTableWidget):
    """The rows of the EOB; `changed` after any edit (for the running figures)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.lines: list[GridLine] = []
        self.carcs: Mapping[str, str] = {}
        self.rarcs: Mapping[str, str] = {}
        self._filling = False
        self.setHorizontalHeaderLabels([t for t, _s in HEADERS])
        self._size_columns()
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().hide()
        self.setWordWrap(False)
        self.setItemDelegate(GridDelegate(self))
        self.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                             | QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(True)
        self.itemChanged.connect(self._edited)

    def _size_columns(self) -> None:
        """Each column as wide as its (bold) title or its usual widest text."""
        title = QFont(self.horizontalHeader().font())
        title.setBold(True)
        bold, plain = QFontMetrics(title), self.fontMetrics()
        for col, (text, sample) in enumerate(HEADERS):
            widest = max(*(bold.horizontalAdvance(t) for t in text.split("\n")),
                         plain.horizontalAdvance(sample))
            self.setColumnWidth(col, widest + PADDING)

    # --- rows ------------------------------------------------------------------------------------
    def add_claim(self, claim_id: int, label: str, rows: tuple[EobGridRow, ...]) -> int:
        """Append the claim's lines; returns the first new row."""
        start = self.rowCount()
        self._filling = True
        for n, r in enumerate(rows):
            self.lines.append(GridLine(claim_id, label, r, n == 0))
            self.insertRow(self.rowCount())
            self._fill_row(self.rowCount() - 1)
        self._filling = False
        self.changed.emit()
        return start

    def _fill_row(self, row: int) -> None:
        g = self.lines[row]
        ln = g.line
        code = "-".join((ln.code, *ln.modifiers))
        fixed = {CLAIM: g.claim_label if g.first else "", DOS: f"{ln.dos:%m/%d/%Y}",
                 CODE: code, CHARGE: money_text(ln.charge), OWED: money_text(ln.balance)}
        for col in range(len(COLUMNS)):
            editable = col in LINE_COLUMNS or (g.first and col in CLAIM_COLUMNS)
            self.setItem(row, col, self._cell(fixed.get(col, ""), col, editable))
        if g.first:
            status = self.cell(row, STATUS)
            status.setData(Qt.ItemDataRole.UserRole, "1")
            status.setText(STATUSES["1"])
        self._recount(row)

    @staticmethod
    def _cell(text: str, col: int, editable: bool) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        item.setFlags(flags | Qt.ItemFlag.ItemIsEditable if editable else flags)
        if col in RIGHT_COLUMNS:
            item.setTextAlignment(RIGHT)
        if not editable:
            item.setBackground(QBrush(QColor("#f2f2f2")))
        return item

    def remove_claim(self, claim_id: int) -> None:
        for row in reversed(range(len(self.lines))):
            if self.lines[row].claim_id == claim_id:
                del self.lines[row]
                self.removeRow(row)
        self.changed.emit()

    def clear_rows(self) -> None:
        self.lines.clear()
        self.setRowCount(0)
        self.changed.emit()

    def claim_ids(self) -> list[int]:
        return list(dict.fromkeys(g.claim_id for g in self.lines))

    def set_cell(self, row: int, col: int, text: str) -> None:
        """Type a cell through the grid (what the editor would store)."""
        item = self.cell(row, col)
        if col == STATUS:
            code = text.split()[0] if text.strip() else "1"
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setText(STATUSES.get(code, code))
        elif col in MONEY_COLUMNS and (value := _money(text)) is not None:
            item.setText(money_text(value))
        else:
            item.setText(text.strip().upper())

    # --- keyboard: Tab goes from editable cell to editable cell ---------------------------------
    def moveCursor(self, action: QAbstractItemView.CursorAction,  # noqa: N802 - Qt's name
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        Move = QAbstractItemView.CursorAction  # noqa: N806 - an enum's short name
        if action not in (Move.MoveNext, Move.MovePrevious):
            return super().moveCursor(action, modifiers)
        step = 1 if action == Move.MoveNext else -1
        cols = self.columnCount()
        here = self.currentIndex()
        pos = here.row() * cols + here.column() if here.isValid() else -1
        for p in range(pos + step, self.rowCount() * cols if step > 0 else -1, step):
            item = self.item(p // cols, p % cols)
            if item is not None and item.flags() & Qt.ItemFlag.ItemIsEditable:
                return self.model().index(p // cols, p % cols)
        return QModelIndex()  # past the last cell: the focus moves on out of the grid

    def first_editable(self, row: int) -> None:
        """Put the cursor on the row's first cell to fill (a claim's status), ready to type."""
        self.setFocus()
        self.setCurrentCell(row, STATUS if self.lines[row].first else ALLOWED)

    # --- figures ----------------------------------------------------------------------------------
    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        self._filling = True
        self._recount_claim(item.row())
        if item.column() in CARC_COLUMNS or item.column() in GROUP_COLUMNS:
            self._describe(item.row(), item.column())
        self._filling = False
        self.changed.emit()

    def _recount_claim(self, row: int) -> None:
        claim_id = self.lines[row].claim_id
        for r, g in enumerate(self.lines):
            if g.claim_id == claim_id:
                self._recount(r)

    def _recount(self, row: int) -> None:
        left = self.unexplained(row)
        item = self.cell(row, UNEXPLAINED)
        item.setText("?" if left is None else money_text(left))
        bad = left is None or left != 0
        item.setForeground(QBrush(QColor(ERROR_COLOUR if bad else "#1b5e20")))
        font = item.font()
        font.setBold(bad)
        item.setFont(font)

    def _describe(self, row: int, col: int) -> None:
        first = FIRST_ADJ + 3 * ((col - FIRST_ADJ) // 3)
        group, code = self.text(row, first), self.text(row, first + 1)
        self.cell(row, first + 1).setToolTip(
            describe_adjustment(group, code, self.carcs) if code else "")

    def describe_row(self, row: int) -> str:
        """The row's adjustments and remarks in words (the side text under the grid)."""
        if not 0 <= row < len(self.lines):
            return ""
        out = [f"{g}-{c}: {describe_adjustment(g, c, self.carcs)}"
               for g, c, _a in self._adjustment_texts(row) if c]
        out += [f"{r}: {describe_remark(r, self.rarcs)}" for r in self.text(row, REMARKS).split()]
        return "\n".join(out)

    def cell(self, row: int, col: int) -> QTableWidgetItem:
        item = self.item(row, col)
        assert item is not None  # every cell of a filled row has its item
        return item

    def text(self, row: int, col: int) -> str:
        item = self.item(row, col)
        return item.text().strip() if item is not None else ""

    def _adjustment_texts(self, row: int) -> list[tuple[str, str, str]]:
        return [(self.text(row, c), self.text(row, c + 1), self.text(row, c + 2))
                for c in range(FIRST_ADJ, REMARKS, 3)]

    def status(self, row: int) -> str:
        claim_id = self.lines[row].claim_id
        first = next(r for r, g in enumerate(self.lines) if g.claim_id == claim_id)
        return str(self.cell(first, STATUS).data(Qt.ItemDataRole.UserRole) or "1")

    def unexplained(self, row: int) -> Decimal | None:
        """charge − paid − adjustments (charge negative on a reversal); None if unreadable."""
        charge = self.lines[row].line.charge
        if self.status(row) == "22":
            charge = -charge
        paid = _money(self.text(row, PAID)) if self.text(row, PAID) else ZERO
        adjusted = [_money(a) if a else ZERO for _g, _c, a in self._adjustment_texts(row)]
        if paid is None or any(a is None for a in adjusted):
            return None
        return charge - paid - sum((a for a in adjusted if a is not None), ZERO)

    # --- what the grid says, for the service ---------------------------------------------------
    def eob_claims(self, problems: dict[str, str] | None = None) -> tuple[EobClaim, ...]:
        """The claims as typed. With `problems`, what cannot be read is named there by row;
        without, unreadable amounts count as zero (for the running figure)."""
        out: list[EobClaim] = []
        for claim_id in self.claim_ids():
            rows = [r for r, g in enumerate(self.lines) if g.claim_id == claim_id]
            lines = tuple(self._line(r, n, problems) for n, r in enumerate(rows, start=1))
            out.append(EobClaim(claim_id, self.status(rows[0]), self.text(rows[0], ICN),
                                lines))
        return tuple(out)

    def _line(self, row: int, n: int, problems: dict[str, str] | None) -> EobLine:
        where = f"claim {self.lines[row].claim_label}, row {n}"
        say = (lambda msg: problems.setdefault(where, msg)) if problems is not None \
            else (lambda msg: msg)
        allowed = _money(self.text(row, ALLOWED))
        if self.text(row, ALLOWED) and allowed is None:
            say("the allowed amount is not an amount; type it as 80.00.")
        paid = _money(self.text(row, PAID)) or ZERO
        if self.text(row, PAID) and _money(self.text(row, PAID)) is None:
            say("the paid amount is not an amount; type it as 60.00.")
        adjustments = []
        for k, (g, c, a) in enumerate(self._adjustment_texts(row), start=1):
            if not (g or c or a):
                continue
            amount = _money(a)
            if amount is None:
                say(f"adjustment {k}: enter its amount as well as the group and reason.")
            adjustments.append((g, c, amount if amount is not None else ZERO))
        return EobLine(self.lines[row].line.service_line_id, allowed, paid, tuple(adjustments),
                       tuple(self.text(row, REMARKS).split()))

    def row_of(self, problem_key: str) -> int | None:
        """The grid row a service problem names ("claim 12, row 2"), if any."""
        m = PROBLEM_ROW.search(problem_key)
        if m is None:
            return None
        rows = [r for r, g in enumerate(self.lines) if g.claim_label == m.group(1)]
        n = int(m.group(2)) - 1
        return rows[n] if 0 <= n < len(rows) else None
