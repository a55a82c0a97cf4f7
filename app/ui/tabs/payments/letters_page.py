"""The Payments tab's "Appeal letters" page (admins): the templates appeals are drafted from
(app.services.appeals). Edit a template's title and text with its problems shown as you type
(`check_template`: unknown placeholders, braces left open), save it, put one of the app's
own back as it came, add the clinic's own or delete them. The placeholders a template may
use are listed beside it; double-click one to put it at the cursor."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.formats.appeal_letter import TEMPLATE_FIELDS, check_template
from app.services.appeals import TemplateRow
from app.services.context import UserContext
from app.services.permissions import Permission
from app.ui.errors import show_error
from app.ui.tabs.claims import fill_table, read_only_table
from app.ui.tabs.coding import ERROR_COLOUR
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import heading, note

FIELD_NAMES = {"key": "Name", "title": "Title", "body": "Text"}
STARTER = "{payer_name}\n{payer_address}\n\nRE: claim {claim_number}\n\nDear Appeals Reviewer:\n"


def can_edit_letters(ctx: UserContext) -> bool:
    return ctx.can(Permission.MANAGE_SETTINGS) and ctx.can(Permission.WORK_FOLLOW_UP)


def _list_label(t: TemplateRow) -> str:
    if not t.has_default:
        return f"{t.title} (the clinic's own)"
    return f"{t.title} (edited)" if t.edited else t.title


class LettersPage(QWidget):
    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.templates: list[TemplateRow] = []
        self.key = ""
        self._kept = ("", "")  # the title and text as last read or saved
        self._loaded = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Appeal letters"))
        layout.addWidget(note("The templates appeal letters are drafted from. Write a "
                              "{placeholder} where the claim's details go: the list on the "
                              "right says what each prints. A template with a problem cannot "
                              "be saved."))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._list_box())
        split.addWidget(self._editor_box())
        split.addWidget(self._fields_box())
        split.setStretchFactor(1, 1)
        split.setSizes([210, 620, 470])
        layout.addWidget(split, 1)

    # --- construction ------------------------------------------------------------------------
    def _list_box(self) -> QGroupBox:
        box = QGroupBox("Templates")
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._chosen)
        new = QPushButton("New template…")
        new.clicked.connect(self.new_template)
        column = QVBoxLayout(box)
        column.addWidget(self.list, 1)
        column.addWidget(new)
        return box

    def _editor_box(self) -> QGroupBox:
        box = QGroupBox("Template")
        self.key_label = QLabel()
        self.title_edit = QLineEdit()
        self.title_edit.textChanged.connect(lambda _t: self.check())
        self.body = QPlainTextEdit()
        self.body.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.body.textChanged.connect(self.check)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Name:", self.key_label)
        form.addRow("Title:", self.title_edit)
        column = QVBoxLayout(box)
        column.addLayout(form)
        column.addWidget(self.body, 1)
        column.addWidget(self.problems)
        column.addLayout(self._buttons())
        return box

    def _buttons(self) -> QHBoxLayout:
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.reset_button = QPushButton("Reset to the original")
        self.reset_button.clicked.connect(self.reset)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete)
        row = QHBoxLayout()
        for b in (self.save_button, self.reset_button, self.delete_button):
            row.addWidget(b)
        row.addStretch(1)
        return row

    def _fields_box(self) -> QGroupBox:
        box = QGroupBox("Placeholders (double-click to insert)")
        self.fields = read_only_table(("Placeholder", "Prints"))
        self.fields.setWordWrap(True)
        fill_table(self.fields, [(f"{{{k}}}", v) for k, v in TEMPLATE_FIELDS.items()])
        # rows follow their wrapped text whatever width the column gets
        self.fields.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.fields.cellDoubleClicked.connect(lambda row, _col: self.insert_field(row))
        QVBoxLayout(box).addWidget(self.fields)
        return box

    # --- showing -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def reload(self, keep: str = "") -> None:
        try:
            self.templates = self._sv.appeals.templates()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._loaded = True
        keys = [t.key for t in self.templates]
        index = keys.index(keep or self.key) if (keep or self.key) in keys else 0
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems([_list_label(t) for t in self.templates])
        self.list.setCurrentRow(index)
        self.list.blockSignals(False)
        if self.templates:
            self._show(self.templates[index])

    def _show(self, t: TemplateRow) -> None:
        self.key = t.key
        self._kept = (t.title, t.body)
        self.key_label.setText(t.key)
        self.title_edit.setText(t.title)
        self.body.setPlainText(t.body)
        self.reset_button.setEnabled(t.has_default and t.edited)
        self.delete_button.setEnabled(not t.has_default)

    def dirty(self) -> bool:
        return (self.title_edit.text(), self.body.toPlainText()) != self._kept

    def _may_leave(self) -> bool:
        return not self.dirty() or QMessageBox.question(
            self, "Leave the template?", "Your changes to this template are not saved. "
            "Leave them?") == QMessageBox.StandardButton.Yes

    def _chosen(self, index: int) -> None:
        if not 0 <= index < len(self.templates) or self.templates[index].key == self.key:
            return
        if not self._may_leave():
            keys = [t.key for t in self.templates]
            self.list.blockSignals(True)
            self.list.setCurrentRow(keys.index(self.key) if self.key in keys else -1)
            self.list.blockSignals(False)
            return
        self._show(self.templates[index])

    def check(self) -> list[str]:
        """The problems of the text as typed, shown under it; Save waits until none."""
        found = check_template(self.body.toPlainText())
        if not self.title_edit.text().strip():
            found.insert(0, "Give the template a title.")
        self.problems.setText("\n".join(found))
        self.problems.setVisible(bool(found))
        self.save_button.setEnabled(not found)
        return found

    # --- actions -----------------------------------------------------------------------------
    def insert_field(self, row: int) -> None:
        keys = list(TEMPLATE_FIELDS)
        if 0 <= row < len(keys):
            self.body.insertPlainText(f"{{{keys[row]}}}")
            self.body.setFocus()

    def save(self) -> None:
        try:
            saved = self._sv.appeals.save_template(self.key, self.title_edit.text(),
                                                   self.body.toPlainText())
        except ValidationError as exc:
            self.problems.setText("Not saved:\n" + "\n".join(
                f"{FIELD_NAMES.get(k, k)}: {m}" for k, m in exc.problems.items()))
            self.problems.show()
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._kept = (saved.title, saved.body)
        self.reload(saved.key)

    def reset(self) -> None:
        if QMessageBox.question(self, "Reset the template?", "Put this template back as it "
                                "came with the app? The clinic's changes are lost.") \
                != QMessageBox.StandardButton.Yes:
            return
        self._run(lambda: self._sv.appeals.reset_template(self.key), self.key)

    def delete(self) -> None:
        if QMessageBox.question(self, "Delete the template?", "Delete this template? Letters "
                                "already written from it are kept.") \
                != QMessageBox.StandardButton.Yes:
            return
        self._run(lambda: self._sv.appeals.delete_template(self.key), "")

    def _run(self, call: Callable[[], object], keep: str) -> None:
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._kept = ("", "")
        self.key = keep
        self.reload(keep)

    def new_template(self) -> None:
        """A new template of the clinic's own, saved once it has a title and text."""
        if not self._may_leave():
            return
        key, ok = QInputDialog.getText(self, "New letter template", "A short name for it "
                                       "(lower-case letters, digits and _), e.g. "
                                       "records_request:")
        if not ok or not key.strip():
            return
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self._show(TemplateRow(key.strip(), "", STARTER, False, True))
        self._kept = ("", "")
        self.delete_button.setEnabled(False)  # nothing is stored yet
        self.title_edit.setFocus()
