"""The encounter's procedure lines as the coder edits them: code (from the picker), up to 4
modifiers, units, up to 4 diagnosis pointers, the NDC with its unit and quantity on drug
codes (837P loop 2410), and the charge.

A charge the coder typed stays as typed; otherwise it comes from the fee schedule through
`CodingService.preview` (fee × units) and follows changes of code, modifiers or units. A
saved line keeps its posted charge until one of those changes, so opening and saving an
encounter re-prices nothing. Typing a charge away (empty) returns it to the fee schedule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.formats.code_edits import DIAGNOSIS_LETTERS, NDC_UNITS, LineDraft, format_ndc
from app.ui.tabs.coding import RIGHT, money_text, parse_decimal, quantity_text

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("#", "Code", "Description", "Modifiers", "Units", "Pointers", "NDC", "NDC unit",
           "NDC qty", "Charge")
(NUM, CODE, DESCRIPTION, MODIFIERS, UNITS, POINTERS, NDC, NDC_UNIT, NDC_QTY,
 CHARGE) = range(len(COLUMNS))
EDITABLE = (MODIFIERS, UNITS, POINTERS, CHARGE)
DRUG_COLUMNS = (NDC, NDC_UNIT, NDC_QTY)
NUMBER_COLUMNS = (UNITS, NDC_QTY, CHARGE)
# What each cell accepts while typing; the service checks the values when it previews/saves.
PATTERNS = {
    MODIFIERS: r"[A-Za-z0-9 ,]{0,11}",
    UNITS: r"\d{0,5}(\.\d{0,4})?",
    POINTERS: r"[A-La-l ,]{0,7}",
    NDC: r"[0-9\- ]{0,13}",
    NDC_QTY: r"\d{0,7}(\.\d{0,4})?",
    CHARGE: r"\$?[0-9,]{0,10}(\.\d{0,2})?",
}
TIPS = {
    CODE: "Double-click (or Enter) to choose another code.",
    MODIFIERS: "Up to 4 two-character modifiers, e.g. 25 59.",
    UNITS: "How many units were given.",
    POINTERS: "The diagnosis letters (A–L) supporting this line, most important first; up "
              "to 4, e.g. AB.",
    NDC: "The drug's NDC as on the label (5-4-2, 4-4-2, 5-3-2 or 5-4-1, with hyphens) or "
         "11 digits.",
    NDC_UNIT: "The unit of the NDC quantity.",
    NDC_QTY: "The quantity of the drug given, in the NDC unit.",
}
UNIT_CHOICES = {"": "", **NDC_UNITS}


@dataclass
class LineState:
    """One line while it is being edited (mutable; `draft()` makes the service's value)."""

    code: str
    description: str = ""
    is_drug: bool = False
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal(1)
    pointers: str = ""
    ndc: str = ""
    ndc_unit: str = ""
    ndc_quantity: Decimal | None = None
    charge: Decimal | None = None  # None: from the fee schedule
    charge_typed: bool = False
    priced: Decimal | None = field(default=None, compare=False)  # the last preview's charge
    line_id: int | None = None

    def draft(self) -> LineDraft:
        return LineDraft(self.code, self.modifiers, self.units, self.pointers, self.ndc,
                         self.ndc_unit, self.ndc_quantity, self.charge, self.line_id)

    def shown_charge(self) -> Decimal | None:
        return self.charge if self.charge is not None else self.priced


def split_modifiers(text: str) -> tuple[str, ...]:
    """'25 59', '25,59' or '2559' → ('25', '59'); the service refuses more than 4."""
    out: list[str] = []
    for token in re.split(r"[\s,]+", text.upper().strip()):
        out += [token[i:i + 2] for i in range(0, len(token), 2)] if token else []
    return tuple(out)


def clean_pointers(text: str) -> str:
    return re.sub(r"[\s,]", "", text).upper()


class LinesTableModel(QAbstractTableModel):
    """The lines being edited. `edited` fires after any change a clerk makes."""

    edited = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[LineState] = []
        self.read_only = False

    # --- Qt ------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TIPS.get(section) or ("The line's charge (fee × units); type to change it."
                                         if section == CHARGE else None)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        line, column = self.lines[index.row()], index.column()
        if column in DRUG_COLUMNS and not (line.is_drug or line.ndc):
            return Qt.ItemFlag.ItemIsSelectable  # greyed: only drug codes carry an NDC
        if self.read_only or column not in (*EDITABLE, *DRUG_COLUMNS):
            return base
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line, column = self.lines[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), column)
        if role == Qt.ItemDataRole.EditRole:
            return self._edit_text(line, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(line, column)
        if role == Qt.ItemDataRole.FontRole and column == CHARGE and line.charge_typed:
            bold = QFont()
            bold.setBold(True)
            return bold
        if role == Qt.ItemDataRole.ForegroundRole and column == CHARGE and \
                line.shown_charge() is None:
            return QBrush(QColor("#777777"))
        return None

    def text(self, row: int, column: int) -> str:
        line = self.lines[row]
        charge = line.shown_charge()
        values = (str(row + 1), line.code, line.description, " ".join(line.modifiers),
                  quantity_text(line.units), line.pointers, format_ndc(line.ndc),
                  line.ndc_unit, quantity_text(line.ndc_quantity),
                  "…" if charge is None else money_text(charge))
        return values[column]

    @staticmethod
    def _edit_text(line: LineState, column: int) -> str:
        if column == CHARGE:
            return "" if line.charge is None else f"{line.charge:.2f}"
        if column == NDC:
            return format_ndc(line.ndc)
        return {MODIFIERS: " ".join(line.modifiers), UNITS: quantity_text(line.units),
                POINTERS: line.pointers, NDC_UNIT: line.ndc_unit,
                NDC_QTY: quantity_text(line.ndc_quantity)}.get(column, "")

    @staticmethod
    def _tip(line: LineState, column: int) -> str | None:
        if column == CHARGE:
            return ("Typed by you; empty it to use the fee schedule again." if line.charge_typed
                    else "From the fee schedule (fee × units); type to change it."
                    if line.line_id is None or line.charge is None
                    else "As posted; changes with the code, modifiers or units.")
        if column in DRUG_COLUMNS and not (line.is_drug or line.ndc):
            return "Only drug codes carry an NDC."
        if column == DESCRIPTION:
            return line.description
        return TIPS.get(column)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or self.read_only:
            return False
        line = self.lines[index.row()]
        changed = self._apply(line, index.column(), str(value or ""))
        if changed is None:
            return False
        self.lines[index.row()] = changed
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), CHARGE))
        self.edited.emit()
        return True

    @staticmethod
    def _apply(line: LineState, column: int, text: str) -> LineState | None:
        """The line with one cell changed, or None when the text is not a value."""
        number = parse_decimal(text)
        if column == MODIFIERS:
            return _repriced(replace(line, modifiers=split_modifiers(text)))
        if column == UNITS:
            return None if number is None else _repriced(replace(line, units=number))
        if column == POINTERS:
            return replace(line, pointers=clean_pointers(text))
        if column == NDC:
            return replace(line, ndc="".join(text.split()))
        if column == NDC_UNIT:
            return replace(line, ndc_unit=text.strip().upper())
        if column == NDC_QTY:
            return replace(line, ndc_quantity=number)
        if column == CHARGE:
            if text.strip() and number is None:
                return None
            return replace(line, charge=number, charge_typed=number is not None)
        return None

    # --- the page's calls ----------------------------------------------------------------------
    def set_lines(self, lines: list[LineState]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()

    def append(self, line: LineState) -> None:
        n = len(self.lines)
        self.beginInsertRows(QModelIndex(), n, n)
        self.lines.append(line)
        self.endInsertRows()
        self.edited.emit()

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.lines):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.lines[row]
            self.endRemoveRows()
            self._all_changed()
            self.edited.emit()

    def set_code(self, row: int, code: str, description: str, is_drug: bool) -> None:
        """Another code on a line: re-priced (unless the charge was typed); a non-drug
        code drops the NDC."""
        line = replace(self.lines[row], code=code, description=description, is_drug=is_drug)
        if not is_drug:
            line = replace(line, ndc="", ndc_unit="", ndc_quantity=None)
        self.lines[row] = _repriced(line)
        self._all_changed()
        self.edited.emit()

    def remap_pointers(self, mapping: dict[str, str | None]) -> None:
        """Diagnoses moved: each pointer follows its diagnosis's new letter (dropped when
        the diagnosis was removed)."""
        for n, line in enumerate(self.lines):
            moved = "".join(mapping.get(p, p) or "" for p in line.pointers)
            self.lines[n] = replace(line, pointers=moved)
        self._all_changed()

    def set_priced(self, charges: tuple[Decimal, ...]) -> None:
        """The preview's charges, one per line in order."""
        for line, charge in zip(self.lines, charges, strict=False):
            line.priced = charge
        self._all_changed()

    def drafts(self) -> tuple[LineDraft, ...]:
        return tuple(line.draft() for line in self.lines)

    def total(self) -> Decimal:
        return sum((ln.shown_charge() or Decimal(0) for ln in self.lines), Decimal("0.00"))

    def _all_changed(self) -> None:
        if self.lines:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.lines) - 1, CHARGE))


def _repriced(line: LineState) -> LineState:
    """A change of code, modifiers or units takes the fee schedule's charge again unless the
    coder typed one."""
    return line if line.charge_typed else replace(line, charge=None, priced=None)


def default_pointer(diagnoses: int) -> str:
    return DIAGNOSIS_LETTERS[0] if diagnoses else ""


class LineDelegate(QStyledItemDelegate):
    """Editors that accept only what a cell can hold: a unit list for the NDC unit, and
    pattern-checked text elsewhere."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        column = index.column()
        if column == NDC_UNIT:
            combo = QComboBox(parent)
            for code, name in UNIT_CHOICES.items():
                combo.addItem(f"{code} – {name}" if code else "", code)
            return combo
        edit = QLineEdit(parent)
        if column in PATTERNS:
            edit.setValidator(QRegularExpressionValidator(QRegularExpression(PATTERNS[column]),
                                                          edit))
        if column in NUMBER_COLUMNS:
            edit.setAlignment(RIGHT)
        return edit

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole) or ""
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findData(value), 0))
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value))

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData())
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text())
