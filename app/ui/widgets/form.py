"""Reusable form pieces: a field spec, a form built from specs that shows each problem in plain
words under its field, and a dialog that submits such a form to a service.

What the clerk typed is never thrown away when a save is refused: the problems are shown and
the editors keep their text. Kinds: text, combo, int, bool, date (typed as MM/DD/YYYY or ISO,
read as a `datetime.date`), money (typed as 1,234.50 or $25, read as a `Decimal`, blank as
None) and multiline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import ConflictError, ValidationError
from app.formats.identifiers import digits
from app.formats.names import parse_typed_date
from app.ui.errors import show_error

Kind = Literal["text", "combo", "int", "bool", "date", "multiline", "money"]
PROBLEM_STYLE = "color: #b00020;"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form: which attribute it edits, how it is labelled and edited."""

    attr: str
    label: str
    kind: Kind = "text"
    choices: Mapping[str, str] = field(default_factory=dict)  # code -> description
    blank: bool = False  # combo: offer an empty choice first
    show_code: bool = True  # combo: "CI – Commercial insurance" rather than the words alone
    hint: str = ""
    width: int = 320
    minimum: int = 0
    maximum: int = 9999
    default: Any = None
    display: Callable[[str], str] | None = None  # how a stored value is shown for editing


def format_phone(value: str) -> str:
    d = digits(value or "")
    return f"({d[:3]}) {d[3:6]}-{d[6:]}" if len(d) == 10 else value or ""


def format_zip(value: str) -> str:
    v = value or ""
    return f"{v[:5]}-{v[5:]}" if len(v) == 9 and v.isdigit() else v


def format_ein(value: str) -> str:
    v = value or ""
    return f"{v[:2]}-{v[2:]}" if len(v) == 9 and v.isdigit() else v


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def plain_problem(label: str, message: str) -> str:
    """'is required.' under the NPI field reads 'NPI is required.'."""
    return f"{label} {message}" if message[:1].islower() else message


def choice_text(code: str, description: str) -> str:
    return f"{code} – {description}" if description and description != code else code


class DateLineEdit(QLineEdit):
    """A date typed the way a US clerk types it (MM/DD/YYYY, M/D/YYYY, MMDDYYYY) or ISO.
    `date_value()` is None when empty or unreadable; `is_readable()` tells the two apart."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("MM/DD/YYYY")

    def date_value(self) -> date | None:
        return parse_typed_date(self.text())

    def is_readable(self) -> bool:
        return not self.text().strip() or self.date_value() is not None

    def set_date(self, value: date | str | None) -> None:
        self.setText(f"{value:%m/%d/%Y}" if isinstance(value, date) else (value or ""))


class MoneyLineEdit(QLineEdit):
    """An amount typed as 1,234.50, $25 or 25; blank is None. Never a float."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.setPlaceholderText("0.00")

    def money_value(self) -> Decimal | None:
        """The amount, or None when blank or unreadable (`is_readable` tells which)."""
        try:
            return parse_money(self.text())
        except ValueError:
            return None

    def is_readable(self) -> bool:
        try:
            parse_money(self.text())
        except ValueError:
            return False
        return True

    def set_money(self, value: Decimal | None) -> None:
        self.setText("" if value is None else f"{value:,.2f}")


def parse_money(text: str) -> Decimal | None:
    """`Decimal` of what was typed ("$1,234.50" → 1234.50); None when blank; ValueError when
    it is not an amount."""
    cleaned = text.strip().replace(",", "").removeprefix("$").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("not an amount") from None
    if not value.is_finite():
        raise ValueError("not an amount")
    return value


UNREADABLE_DATE = "is not a date; type it as MM/DD/YYYY."
UNREADABLE_MONEY = "is not an amount; type it as 1234.50."
MULTILINE_HEIGHT = 72


def _make_editor(spec: FieldSpec) -> QWidget:
    if spec.kind == "date":
        return DateLineEdit()
    if spec.kind == "money":
        return MoneyLineEdit()
    if spec.kind == "multiline":
        plain = QPlainTextEdit()
        plain.setPlaceholderText(spec.hint)
        plain.setTabChangesFocus(True)
        plain.setFixedHeight(MULTILINE_HEIGHT)
        return plain
    if spec.kind == "combo":
        combo = QComboBox()
        if spec.blank:
            combo.addItem("", "")
        for code, text in spec.choices.items():
            combo.addItem(choice_text(code, text) if spec.show_code else text, code)
        combo.setMaxVisibleItems(20)
        return combo
    if spec.kind == "int":
        spin = QSpinBox()
        spin.setRange(spec.minimum, spec.maximum)
        return spin
    if spec.kind == "bool":
        return QCheckBox()
    edit = QLineEdit()
    edit.setPlaceholderText(spec.hint)
    return edit


def _set_editor(w: QWidget, spec: FieldSpec, value: Any) -> None:
    if isinstance(w, DateLineEdit):
        w.set_date(value)
    elif isinstance(w, MoneyLineEdit):
        w.set_money(value)
    elif isinstance(w, QPlainTextEdit):
        w.setPlainText("" if value is None else str(value))
    elif isinstance(w, QComboBox):
        i = w.findData(value or "")
        if i < 0 and value:
            w.addItem(str(value), value)
            i = w.count() - 1
        w.setCurrentIndex(max(i, 0))
    elif isinstance(w, QSpinBox):
        w.setValue(int(value or spec.minimum))
    elif isinstance(w, QCheckBox):
        w.setChecked(bool(value))
    elif isinstance(w, QLineEdit):
        text = "" if value is None else str(value)
        w.setText(spec.display(text) if spec.display else text)


def _read_editor(w: QWidget) -> Any:
    if isinstance(w, DateLineEdit):
        return w.date_value()
    if isinstance(w, MoneyLineEdit):
        return w.money_value()
    if isinstance(w, QPlainTextEdit):
        return w.toPlainText()
    if isinstance(w, QComboBox):
        return w.currentData() or ""
    if isinstance(w, QSpinBox):
        return w.value()
    if isinstance(w, QCheckBox):
        return w.isChecked()
    assert isinstance(w, QLineEdit)
    return w.text()


class FormWidget(QWidget):
    """Editors for a list of `FieldSpec`s, each with its own problem line."""

    def __init__(self, specs: tuple[FieldSpec, ...], parent: QWidget | None = None,
                 problem_width: int = 300, split_at: Iterable[str] = ()) -> None:
        """`split_at`: attributes that start a new column (a long form side by side)."""
        super().__init__(parent)
        self.specs = {s.attr: s for s in specs}
        self.editors: dict[str, QWidget] = {}
        self._problems: dict[str, QLabel] = {}
        self._problem_width = problem_width
        self.summary = _problem_label()
        starts = set(split_at)
        self._layouts: list[QFormLayout] = []
        columns = QHBoxLayout()
        columns.setSpacing(24)
        for spec in specs:
            if not self._layouts or spec.attr in starts:
                self._layouts.append(QFormLayout())
                self._layouts[-1].setFieldGrowthPolicy(
                    QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
                columns.addLayout(self._layouts[-1])
            self._layouts[-1].addRow(f"{spec.label}:", self._row(spec))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.summary)
        outer.addLayout(columns)

    def _row(self, spec: FieldSpec) -> QWidget:
        editor = _make_editor(spec)
        if spec.kind != "bool":
            editor.setFixedWidth(spec.width)
        problem = _problem_label()
        problem.setMinimumWidth(max(spec.width, self._problem_width))
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(problem)
        self.editors[spec.attr], self._problems[spec.attr] = editor, problem
        return box

    def values(self) -> dict[str, Any]:
        return {attr: _read_editor(w) for attr, w in self.editors.items()}

    def set_values(self, source: object | Mapping[str, Any] | None) -> None:
        """Fill the editors from a dataclass or mapping; None gives each field's default."""
        self.clear_problems()
        for attr, w in self.editors.items():
            spec = self.specs[attr]
            if source is None:
                value = spec.default
            elif isinstance(source, Mapping):
                value = source.get(attr, spec.default)
            else:
                value = getattr(source, attr, spec.default)
            _set_editor(w, spec, value)

    def show_problems(self, problems: Mapping[str, str]) -> None:
        self.clear_problems()
        others = []
        for attr, message in problems.items():
            label = self._problems.get(attr)
            spec = self.specs.get(attr)
            if label is None or spec is None:
                others.append(plain_problem(attr.replace("_", " ").capitalize(), message))
                continue
            label.setText(plain_problem(spec.label, message))
            label.show()
        lead = "Not saved: fix the fields marked in red."
        self.summary.setText("\n".join([lead, *others]))
        self.summary.show()

    def clear_problems(self) -> None:
        for label in (*self._problems.values(), self.summary):
            label.clear()
            label.hide()

    def input_problems(self) -> dict[str, str]:
        """What cannot even be read (a date that is not a date), before any service is asked."""
        problems = {attr: UNREADABLE_DATE for attr, w in self.editors.items()
                    if isinstance(w, DateLineEdit) and not w.is_readable()}
        problems.update({attr: UNREADABLE_MONEY for attr, w in self.editors.items()
                         if isinstance(w, MoneyLineEdit) and not w.is_readable()})
        return problems

    def set_fields_enabled(self, attrs: Iterable[str], enabled: bool) -> None:
        """Grey out some fields (and their labels), e.g. parts that do not apply."""
        for attr in attrs:
            w = self.editors[attr]
            w.setEnabled(enabled)
            box = w.parentWidget()
            for layout in self._layouts:
                label = layout.labelForField(box) if box is not None else None
                if label is not None:
                    label.setEnabled(enabled)

    def problem(self, attr: str) -> str:
        """The problem shown under a field ('' when none)."""
        label = self._problems[attr]
        return label.text() if not label.isHidden() else ""

    def set_editable(self, editable: bool) -> None:
        """Read-only text stays black and copyable; other editors are disabled."""
        for w in self.editors.values():
            if isinstance(w, QLineEdit | QPlainTextEdit):
                w.setReadOnly(not editable)
            else:
                w.setEnabled(editable)


def heading(text: str) -> QLabel:
    """A page's title line: the application font, larger and bold."""
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.25)
    font.setBold(True)
    label.setFont(font)
    return label


def note(text: str) -> QLabel:
    """A wrapped explanatory line under a heading."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _problem_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(PROBLEM_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


class FormDialog(QDialog):
    """A form in a dialog whose Save calls `submit(values)`.

    Field problems stay in the dialog beside the fields; a conflict is shown and the dialog
    closes so the page can reload; any other error is shown and the dialog stays open.
    Open it with `open()` (window-modal, never blocks a test)."""

    saved = Signal(object)

    def __init__(self, title: str, specs: tuple[FieldSpec, ...],
                 submit: Callable[[dict[str, Any]], object], parent: QWidget | None = None,
                 intro: str = "", split_at: Iterable[str] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._submit = submit
        self.form = FormWidget(specs, split_at=split_at)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if intro:
            note = QLabel(intro)
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        self.form.clear_problems()
        unreadable = self.form.input_problems()
        if unreadable:
            self.form.show_problems(unreadable)
            return
        try:
            result = self._submit(self.form.values())
        except ValidationError as exc:
            self.form.show_problems(exc.problems)
            return
        except ConflictError as exc:
            show_error(self, exc)
            self.reject()
            return
        except Exception as exc:  # noqa: BLE001 - every other kind goes to the one presenter
            show_error(self, exc)
            return
        self.saved.emit(result)
        self.accept()
