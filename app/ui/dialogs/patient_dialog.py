"""Register or edit a patient: every field of `PatientData`, grouped as a clerk reads a
registration sheet. Problems show under their fields and what was typed is kept; possible
duplicates are shown before a new record is saved; a save refused because someone else saved
first reloads their version. Open it with `open()`.

The SSN is typed for a new patient; on edit the form shows only the masked value and sends
`ssn=None` (keep it) unless the clerk ticks "Change SSN".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.errors import ConflictError, ValidationError
from app.formats.identifiers import US_STATES
from app.services.patients import (
    GUARANTOR_RELATIONSHIPS,
    SEXES,
    PatientData,
    PatientDetail,
    PatientService,
    PossibleDuplicates,
    mask_ssn,
)
from app.ui.dialogs.duplicates_dialog import DuplicatesDialog
from app.ui.errors import show_error
from app.ui.widgets.form import (
    FieldSpec,
    FormWidget,
    format_phone,
    format_zip,
    note,
    plain_problem,
)

W = 210  # editor width: three columns fit a 1280-pixel screen
STATES = {s: s for s in sorted(US_STATES)}
RELATIONSHIPS = {r: r.capitalize() for r in GUARANTOR_RELATIONSHIPS}


def _text(attr: str, label: str, hint: str = "", width: int = W, **kw: Any) -> FieldSpec:
    return FieldSpec(attr, label, hint=hint, width=width, **kw)


def _phone(attr: str, label: str) -> FieldSpec:
    return _text(attr, label, "(555) 555-0100", 150, display=format_phone)


def _address(prefix: str) -> tuple[FieldSpec, ...]:
    return (
        _text(f"{prefix}address1", "Address", "street and number"),
        _text(f"{prefix}address2", "Address line 2", "apartment, suite"),
        _text(f"{prefix}city", "City"),
        FieldSpec(f"{prefix}state", "State", "combo", STATES, blank=True, width=70),
        _text(f"{prefix}zip", "ZIP", "5 or 9 digits", 110, display=format_zip),
    )


GROUPS: tuple[tuple[str, tuple[FieldSpec, ...]], ...] = (
    ("Name", (
        _text("last_name", "Last name"), _text("first_name", "First name"),
        _text("middle_name", "Middle name"),
        _text("preferred_name", "Preferred name", "what they like to be called"))),
    ("Birth, sex and SSN", (
        FieldSpec("dob", "Date of birth", "date", width=110),
        FieldSpec("sex", "Sex", "combo", SEXES, blank=True, width=150),
        _text("ssn", "SSN", "9 digits; optional", 150))),
    ("Emergency contact", (
        _text("emergency_name", "Name"), _text("emergency_relationship", "Relationship"),
        _phone("emergency_phone", "Phone"))),
    ("Contact", (
        *_address(""), _phone("phone", "Phone"), _phone("mobile_phone", "Mobile"),
        _phone("work_phone", "Work phone"), _text("email", "E-mail"),
        _text("language", "Language", "if not English"))),
    ("Notes", (FieldSpec("notes", "Notes", "multiline", width=W + 40),)),
    ("Responsible party", (
        FieldSpec("guarantor_relationship", "Who pays", "combo", RELATIONSHIPS,
                  show_code=False, width=120, default="self"),
        _text("guarantor_last_name", "Last name"), _text("guarantor_first_name", "First name"),
        FieldSpec("guarantor_dob", "Date of birth", "date", width=110),
        *_address("guarantor_"), _phone("guarantor_phone", "Phone"))),
)
COLUMNS = (("Name", "Birth, sex and SSN", "Emergency contact"), ("Contact", "Notes"),
           ("Responsible party",))
GUARANTOR_FIELDS = tuple(s.attr for s in GROUPS[-1][1][1:])


class PatientForm(QWidget):
    """The grouped editors; behaves like one `FormWidget` (editors, values, problems)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.forms = {title: FormWidget(specs, problem_width=W) for title, specs in GROUPS}
        self.group_boxes: dict[str, QGroupBox] = {}
        self.editors: dict[str, QWidget] = {}
        self.specs: dict[str, FieldSpec] = {}
        for form in self.forms.values():
            self.editors.update(form.editors)
            self.specs.update(form.specs)
        self.change_ssn = QCheckBox("Change SSN")
        self.summary = QLabel()
        self.summary.setStyleSheet("color: #b00020;")
        self.summary.setWordWrap(True)
        self.summary.hide()
        row = QHBoxLayout()
        for titles in COLUMNS:
            row.addLayout(self._column(titles), 1)
        outer = QVBoxLayout(self)
        outer.addWidget(self.summary)
        outer.addLayout(row)

    def _column(self, titles: Iterable[str]) -> QVBoxLayout:
        column = QVBoxLayout()
        for title in titles:
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            inner.addWidget(self.forms[title])
            if title.endswith("SSN"):
                inner.addWidget(self.change_ssn)
            self.group_boxes[title] = box
            column.addWidget(box)
        column.addStretch(1)
        return column

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for form in self.forms.values():
            out.update(form.values())
        return out

    def set_values(self, source: object | None) -> None:
        for form in self.forms.values():
            form.set_values(source)
        self.summary.hide()

    def input_problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for form in self.forms.values():
            out.update(form.input_problems())
        return out

    def show_problems(self, problems: dict[str, str]) -> None:
        self.clear_problems()
        for form in self.forms.values():
            mine = {k: v for k, v in problems.items() if k in form.specs}
            if mine:
                form.show_problems(mine)
                form.summary.hide()
        others = [plain_problem(k.replace("_", " ").capitalize(), v)
                  for k, v in problems.items() if k not in self.specs]
        self.summary.setText("\n".join(["Not saved: fix the fields marked in red.", *others]))
        self.summary.show()

    def clear_problems(self) -> None:
        for form in self.forms.values():
            form.clear_problems()
        self.summary.hide()

    def problem(self, attr: str) -> str:
        return next(f.problem(attr) for f in self.forms.values() if attr in f.specs)

    def set_fields_enabled(self, attrs: Iterable[str], enabled: bool) -> None:
        wanted = set(attrs)
        for form in self.forms.values():
            form.set_fields_enabled(wanted & set(form.specs), enabled)


class PatientDialog(QDialog):
    """`detail=None` registers a new patient; otherwise edits that one. Emits `saved(detail)`
    after a save, or `openExisting(patient_id)` when the clerk picks an existing duplicate."""

    saved = Signal(object)
    openExisting = Signal(int)

    def __init__(self, *, patients: PatientService, detail: PatientDetail | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._patients = patients
        self._detail = detail
        self.duplicates: DuplicatesDialog | None = None
        self.form = PatientForm()
        ssn_edit = self.form.editors["ssn"]
        assert isinstance(ssn_edit, QLineEdit)
        self.ssn_edit = ssn_edit
        self.status = note("")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        relationship = self.form.editors["guarantor_relationship"]
        assert isinstance(relationship, QComboBox)
        relationship.currentIndexChanged.connect(self._relationship_changed)
        self.form.change_ssn.toggled.connect(self._change_ssn_toggled)
        self._build_layout()
        self._fill(detail)

    def _build_layout(self) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        hint = self.form.sizeHint()
        # Tall enough that a few problem lines fit before the form scrolls.
        self.resize(min(hint.width() + 40, 1240), min(max(hint.height() + 110, 700), 760))

    @property
    def is_new(self) -> bool:
        return self._detail is None

    def _fill(self, detail: PatientDetail | None) -> None:
        self._detail = detail
        self.form.set_values(detail.data if detail else None)
        if detail is None:
            self.setWindowTitle("Register a patient")
            self.status.setText("A medical record number (MRN) is given when you save.")
        else:
            self.setWindowTitle(f"Edit patient {detail.mrn}")
            self.status.setText(f"{detail.display_name} · MRN {detail.mrn}")
        self.form.change_ssn.setVisible(detail is not None)
        self.form.change_ssn.setChecked(False)
        self._change_ssn_toggled(False)
        self._relationship_changed()

    def _relationship_changed(self) -> None:
        other = self.form.values()["guarantor_relationship"] != "self"
        self.form.set_fields_enabled(GUARANTOR_FIELDS, other)

    def _change_ssn_toggled(self, checked: bool) -> None:
        if self._detail is None:
            self.ssn_edit.setReadOnly(False)
            return
        self.ssn_edit.setReadOnly(not checked)
        if checked:
            self.ssn_edit.clear()
            self.ssn_edit.setPlaceholderText("9 digits; leave empty to remove")
            self.ssn_edit.setFocus()
        else:
            self.ssn_edit.setText(mask_ssn(self._detail.ssn_last4) or "none on file")

    # --- saving --------------------------------------------------------------------------------
    def data(self) -> PatientData:
        """What the form holds, as the service takes it."""
        values = self.form.values()
        if self._detail is not None and not self.form.change_ssn.isChecked():
            values["ssn"] = None  # keep the stored SSN
        if values["guarantor_relationship"] == "self":
            for attr in GUARANTOR_FIELDS:
                values[attr] = None if attr == "guarantor_dob" else ""
        if self._detail is not None:
            values.update(id=self._detail.id, version=self._detail.data.version)
        return PatientData(**values)

    def save(self) -> None:
        self.form.clear_problems()
        unreadable = self.form.input_problems()
        if unreadable:
            self.form.show_problems(unreadable)
            return
        data = self.data()
        if self._detail is None:
            self._submit(lambda: self._patients.register(data))
        else:
            self._submit(lambda: self._patients.update(data))

    def save_as_new(self) -> None:
        """The clerk checked the possible duplicates and this is someone else."""
        data = self.data()
        self._submit(lambda: self._patients.register(data, allow_duplicates=True))

    def _submit(self, call: Callable[[], PatientDetail]) -> None:
        try:
            result = call()
        except ValidationError as exc:
            self.form.show_problems(exc.problems)
            return
        except PossibleDuplicates as exc:
            self._show_duplicates(exc)
            return
        except ConflictError as exc:
            show_error(self, exc)
            self._reload()
            return
        except Exception as exc:  # noqa: BLE001 - every other kind goes to the one presenter
            show_error(self, exc)
            return
        self.saved.emit(result)
        self.accept()

    def _show_duplicates(self, exc: PossibleDuplicates) -> None:
        self.duplicates = DuplicatesDialog(exc.candidates, parent=self)
        self.duplicates.openRequested.connect(self._open_existing)
        self.duplicates.saveAsNewRequested.connect(self.save_as_new)
        self.duplicates.open()

    def _open_existing(self, patient_id: int) -> None:
        self.reject()
        self.openExisting.emit(patient_id)

    def _reload(self) -> None:
        """Someone else saved first: show their version, to make the change again on it."""
        assert self._detail is not None
        try:
            self._fill(self._patients.get(self._detail.id))
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            self.reject()
            return
        self.status.setText(f"{self.status.text()} — reloaded with the other change; make "
                            "yours again and save.")


def data_fields() -> set[str]:
    """The PatientData fields the form must edit (all but id and version)."""
    return {f.name for f in fields(PatientData)} - {"id", "version"}
