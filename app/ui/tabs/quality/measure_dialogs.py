"""The Measures page's definitions editor (administrators): every measure the clinic keeps,
its definition as JSON (the format app.formats.quality_measures documents), checked before
it is saved with every problem named in red, a shipped one restored to the app's text, a
new one started as a copy, one taken out of evaluations. `changed` is emitted after each
save so the page evaluates with what is saved."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.services.quality import MeasureInfo, QualityService
from app.ui.errors import show_error
from app.ui.tabs.coding import OK_COLOUR
from app.ui.tabs.plans.dialogs import problem_label, say
from app.ui.widgets.form import note

HELP = ("A measure is JSON: id, title, description, source, version, inverse (true when a lower "
        "rate is better), initial_population, denominator, exclusions, numerator and needs. "
        "Criteria are one-key objects (age, sex, condition, encounters, observation, procedure) "
        "combined with all, any and not. Check shows every problem; nothing is saved until "
        "the definition checks.")


class DefinitionsDialog(QDialog):
    changed = Signal()

    def __init__(self, quality: QualityService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quality measure definitions")
        self._quality = quality
        self.infos: list[MeasureInfo] = []
        self.current: MeasureInfo | None = None
        self.new = False  # the editor holds a measure not saved yet
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self._chosen)
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.active = QCheckBox("Evaluated (unticked: left out of evaluations)")
        self.active.clicked.connect(self._activate)
        self.problem = problem_label()
        self.result = QLabel()
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("check", "Check", self.check), ("save", "Save", self.save),
                                ("restore", "Restore shipped", self.restore),
                                ("copy", "New from this…", self.copy)):
            b = buttons.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
            b.clicked.connect(slot)
            self.buttons[key] = b
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.state)
        column.addWidget(self.active)
        column.addWidget(self.editor, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.list)
        split.addWidget(right)
        split.setSizes([260, 700])
        layout = QVBoxLayout(self)
        layout.addWidget(note(HELP))
        layout.addWidget(split, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.result)
        layout.addWidget(buttons)
        self.resize(1000, 680)
        self.reload()

    def reload(self, keep: str | None = None) -> None:
        keep = keep or (self.current.measure_id if self.current else None)
        try:
            self.infos = list(self._quality.definitions())
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.list.blockSignals(True)
        self.list.clear()
        for info in self.infos:
            flags = [w for w, on in (("edited", info.edited), ("not evaluated", not info.active))
                     if on]
            item = QListWidgetItem(info.title + (f" ({', '.join(flags)})" if flags else ""))
            item.setToolTip(info.source)
            self.list.addItem(item)
        self.list.blockSignals(False)
        index = next((i for i, x in enumerate(self.infos) if x.measure_id == keep), 0)
        if self.infos:
            self.list.setCurrentRow(index)
            self._chosen(index)

    def _chosen(self, row: int) -> None:
        self.current = self.infos[row] if 0 <= row < len(self.infos) else None
        self.new = False
        say(self.problem, "")
        info = self.current
        self.editor.setPlainText(json.dumps(info.data, indent=2) if info else "")
        self.active.setChecked(bool(info and info.active))
        self.active.setEnabled(info is not None)
        if info is not None:
            kind = ("shipped with the app" + (", edited here" if info.edited else "")
                    if info.shipped else "the clinic's own")
            self.state.setText(f"<b>{info.measure_id}</b>, revision {info.revision}, {kind}; "
                               f"last saved by {info.updated_by or 'the app'}.")
        self.buttons["restore"].setEnabled(bool(info and info.shipped and info.edited))

    def _data(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.editor.toPlainText())
        except json.JSONDecodeError as exc:
            say(self.problem, f"This is not valid JSON: line {exc.lineno}, column {exc.colno}: "
                              f"{exc.msg}.")
            return None
        if not isinstance(data, dict):
            say(self.problem, "A definition is one JSON object { … }.")
            return None
        return data

    def _say_problems(self, exc: ValidationError) -> None:
        say(self.problem, "Not saved. Fix:\n" + "\n".join(
            f"• {path}: {message}" for path, message in exc.problems.items()))

    def check(self) -> bool:
        self._said("")
        data = self._data()
        if data is None:
            return False
        try:
            self._quality.check_definition(data)
        except ValidationError as exc:
            self._say_problems(exc)
            return False
        say(self.problem, "")
        self._said("The definition checks.")
        return True

    def save(self) -> None:
        data = self._data()
        if data is None:
            return
        revision = None if self.new or self.current is None else self.current.revision
        try:
            saved = self._quality.save_definition(data, revision)
        except ValidationError as exc:
            self._say_problems(exc)
            return
        except UserError as exc:
            say(self.problem, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        say(self.problem, "")
        self.reload(saved.measure_id)
        self._said(f"{saved.title}: saved (revision {saved.revision}).")
        self.changed.emit()

    def restore(self) -> None:
        if self.current is None:
            return
        try:
            info = self._quality.restore_shipped(self.current.measure_id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.reload(info.measure_id)
        self._said(f"{info.title}: the app's definition is back.")
        self.changed.emit()

    def copy(self) -> None:
        """A new measure starting from the one shown: a new id and title to fill in."""
        data = self._data()
        if data is None:
            return
        data["id"] = f"{data.get('id', 'measure')}-copy"
        data["title"] = f"{data.get('title', 'Measure')} (copy)"
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.blockSignals(False)
        self.current, self.new = None, True
        self.editor.setPlainText(json.dumps(data, indent=2))
        self.state.setText("<b>A new measure</b>: give it its own id and title, then Save.")
        self.active.setEnabled(False)
        self.buttons["restore"].setEnabled(False)

    def _activate(self, on: bool) -> None:
        if self.current is None:
            return
        try:
            info = self._quality.set_active(self.current.measure_id, on)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.reload(info.measure_id)
        self.changed.emit()

    def _said(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))

