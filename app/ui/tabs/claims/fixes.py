"""Where a scrubber issue is fixed, outside the claim itself: the same dialogs the other tabs
use (patient, coverage, and the Admin tab's practice, payer, provider, facility and 837P
forms), opened on the record at fault. A role that may not change that record is told whom
to ask instead. Issues on the claim itself and on the visit's coding are the editor's to
handle (a field to focus, or the Coding tab)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from app.services.claims import ClaimView
from app.services.directory import PracticeData
from app.services.permissions import Permission
from app.services.scrubber import Fix
from app.ui.tabs.admin.directory_specs import FACILITIES, PAYERS, PROVIDERS
from app.ui.tabs.admin.practice_page import PRACTICE_FIELDS
from app.ui.tabs.admin.records_page import RecordSpec
from app.ui.tabs.admin.settings_page import EDI_FIELDS, edi_from
from app.ui.tabs.claims.services import ClaimsServices
from app.ui.widgets.form import FormDialog

RECORDS: dict[str, RecordSpec] = {"payer": PAYERS, "provider": PROVIDERS,
                                  "facility": FACILITIES}
NEEDS = {"practice": (Permission.MANAGE_PRACTICE, "Admin → Practice"),
         "payer": (Permission.MANAGE_PRACTICE, "Admin → Payers"),
         "provider": (Permission.MANAGE_PRACTICE, "Admin → Providers"),
         "facility": (Permission.MANAGE_PRACTICE, "Admin → Facilities"),
         "settings": (Permission.MANAGE_SETTINGS, "Admin → Settings"),
         "patient": (Permission.EDIT_PATIENTS, "the Patients tab"),
         "coverage": (Permission.EDIT_COVERAGE, "the Benefits tab")}


class FixOpener:
    """Opens (window-modal, never blocking) the dialog for a `Fix`; each dialog has a
    `saved` signal, which the editor uses to check the claim again."""

    def __init__(self, sv: ClaimsServices, parent: QWidget) -> None:
        self._sv = sv
        self._parent = parent
        self.dialog: Any = None
        self._openers: dict[str, Callable[[Fix, ClaimView], Any]] = {
            "practice": self._practice, "payer": self._record, "provider": self._record,
            "facility": self._record, "settings": self._settings, "patient": self._patient,
            "coverage": self._coverage}

    def handles(self, kind: str) -> bool:
        return kind in self._openers

    def open(self, fix: Fix, view: ClaimView) -> QDialog | None:
        permission, where = NEEDS[fix.kind]
        if not self._sv.ctx.can(permission):
            QMessageBox.information(self._parent, "Ask for this to be fixed",
                                    f"Your role cannot change this. Ask an administrator to "
                                    f"fix it in {where}, then check the claim again.")
            return None
        self.dialog = self._openers[fix.kind](fix, view)
        if self.dialog is not None:
            self.dialog.open()
        return self.dialog

    def _practice(self, _fix: Fix, _view: ClaimView) -> FormDialog:
        current = self._sv.directory.practice()
        version = current.version if current else 0

        def submit(values: dict[str, Any]) -> object:
            return self._sv.directory.save_practice(PracticeData(**values, version=version))

        dialog = FormDialog("Billing provider (box 33)", PRACTICE_FIELDS, submit, self._parent,
                            intro="The practice as printed in box 33 and sent as the billing "
                                  "provider. The same record as Admin → Practice.")
        dialog.form.set_values(current)
        return dialog

    def _record(self, fix: Fix, _view: ClaimView) -> FormDialog | None:
        spec = RECORDS[fix.kind]
        record = next((r for r in spec.load(self._sv.directory) if r.id == fix.target_id), None)
        if record is None:
            QMessageBox.information(self._parent, "Not found",
                                    f"That {spec.noun} no longer exists.")
            return None
        dialog = FormDialog(f"Edit {spec.noun}", spec.fields,
                            lambda values: spec.save(self._sv.directory,
                                                     replace(record, **values)), self._parent)
        dialog.form.set_values(record)
        return dialog

    def _settings(self, _fix: Fix, _view: ClaimView) -> FormDialog:
        dialog = FormDialog("837P / clearinghouse", EDI_FIELDS,
                            lambda values: self._sv.settings.set_edi(edi_from(values)),
                            self._parent, split_at=("receiver_id",),
                            intro="The same settings as Admin → Settings.")
        dialog.form.set_values(self._sv.settings.edi())
        return dialog

    def _patient(self, fix: Fix, _view: ClaimView) -> QDialog:
        from app.ui.dialogs.patient_dialog import PatientDialog

        detail = self._sv.patients.get(fix.target_id or 0)
        return PatientDialog(patients=self._sv.patients, detail=detail, parent=self._parent)

    def _coverage(self, fix: Fix, view: ClaimView) -> QDialog | None:
        from app.ui.tabs.benefits.coverage_dialog import CoverageDialog

        rows = self._sv.coverage.coverages(view.patient_id)
        row = next((r for r in rows if r.data.id == fix.target_id), None)
        if row is None:
            QMessageBox.information(self._parent, "Not found", "That coverage no longer "
                                    "exists. Open the Benefits tab to see the patient's.")
            return None
        payers = [p for p in self._sv.directory.payers()
                  if p.active or p.id == row.data.payer_id]
        return CoverageDialog(coverage=self._sv.coverage, payers=payers,
                              patient_id=view.patient_id, current=row.data,
                              parent=self._parent)
