"""Admin › Settings: idle lock, remembering the passphrase, how recent a benefits verification
must be, the clearinghouse details an 837P needs, when payments follow-up chases a claim,
and a backup on request."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.formats.identifiers import digits
from app.services.backup import BackupResult, BackupService
from app.services.billing_settings import BillingSettings
from app.services.context import UserContext
from app.services.permissions import Permission
from app.services.settings import ClinicSettings, EdiSettings, SettingsService
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.widgets.form import FieldSpec, FormWidget, format_phone, heading, note

ID_QUALIFIERS = {"ZZ": "Mutually defined", "01": "DUNS number", "14": "DUNS plus suffix",
                 "20": "Health industry number", "27": "Carrier ID (Medicare)",
                 "28": "Fiscal intermediary ID", "29": "Medicare provider ID",
                 "30": "Federal tax ID", "33": "NAIC company code"}
# 005010X222A1 loops 1000A (submitter) and 1000B (receiver), and the ISA envelope.
EDI_FIELDS = (
    FieldSpec("submitter_id", "Submitter ID", hint="Your ID at the clearinghouse", width=200),
    FieldSpec("submitter_name", "Submitter name", hint="The practice name when blank",
              width=260),
    FieldSpec("contact_name", "Contact name", width=260),
    FieldSpec("contact_phone", "Contact phone", hint="The practice phone when blank",
              width=200, display=format_phone),
    FieldSpec("usage", "Files are for", "combo", {"P": "Production", "T": "Testing"},
              width=200, default="P"),
    FieldSpec("receiver_id", "Receiver ID", hint="The clearinghouse's ID", width=200),
    FieldSpec("receiver_name", "Receiver name", hint="The clearinghouse's name", width=260),
    FieldSpec("sender_qualifier", "Sender ID qualifier (ISA05)", "combo", ID_QUALIFIERS,
              width=260, default="ZZ"),
    FieldSpec("sender_id", "Sender ID (ISA06)", hint="The submitter ID when blank",
              width=200),
    FieldSpec("receiver_qualifier", "Receiver ID qualifier (ISA07)", "combo", ID_QUALIFIERS,
              width=260, default="ZZ"),
    FieldSpec("interchange_receiver_id", "Receiver ID (ISA08)",
              hint="The receiver ID when blank", width=200),
)


# What makes a claim need chasing (app.services.billing_settings).
BILLING_FIELDS = (
    FieldSpec("underpayment_tolerance", "Underpayment tolerance", "money", width=120,
              hint="A line allowed this much below the contract rate is not chased"),
    FieldSpec("small_balance_limit", "Small-balance write-off up to", "money", width=120),
    FieldSpec("unpaid_after_days", "Chase an unpaid claim after (days)", "int", width=120,
              minimum=1, maximum=365),
    FieldSpec("denial_due_days", "Days to work a denial or underpayment", "int", width=120,
              minimum=1, maximum=90),
    FieldSpec("timely_filing_warning_days", "Warn before the filing limit (days)", "int",
              width=120, minimum=1, maximum=180),
    FieldSpec("plan_grace_days", "Plan installment grace (days)", "int", width=120,
              minimum=0, maximum=60,
              hint="An installment unpaid this many days after its due date is missed"),
)


def edi_from(values: dict[str, object]) -> EdiSettings:
    """The settings the form holds; the phone is kept as its digits, however it was typed."""
    data = {k: str(v) for k, v in values.items()}
    data["contact_phone"] = digits(data["contact_phone"])
    return EdiSettings(**data)


class SettingsPage(QWidget):
    slug = "settings"
    title = "Settings"
    idleMinutesChanged = Signal(int)

    def __init__(self, *, ctx: UserContext, settings: SettingsService, backup: BackupService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._settings, self._backup = ctx, settings, backup
        self._current = ClinicSettings()
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(1, 60)
        self.idle_spin.setSuffix(" minutes")
        self.idle_spin.setFixedWidth(120)
        self.verify_spin = QSpinBox()
        self.verify_spin.setRange(1, 365)
        self.verify_spin.setSuffix(" days")
        self.verify_spin.setFixedWidth(120)
        self.remember_check = QCheckBox(
            "Workstations may remember the clinic passphrase in the system keyring")
        self.save_button = QPushButton("Save settings")
        self.saved_label = QLabel()
        self.backup_button = QPushButton("Back up now…")
        self.backup_label = QLabel()
        self.backup_label.setWordWrap(True)
        self.save_button.clicked.connect(self.save)
        self.backup_button.clicked.connect(self.back_up)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Settings"))
        layout.addWidget(self._settings_box())
        layout.addWidget(self._edi_box())
        layout.addWidget(self._billing_box())
        layout.addWidget(self._backup_box())
        layout.addStretch(1)

    def _settings_box(self) -> QGroupBox:
        self.settings_box = QGroupBox("Security and verification")
        form = QFormLayout()
        form.addRow(note("The locked window asks for the same user's password and carries on "
                         "where they were; a different user may sign in instead."))
        idle = QHBoxLayout()
        idle.addWidget(self.idle_spin)
        idle.addWidget(QLabel("of no keyboard or mouse use"))
        idle.addStretch(1)
        form.addRow("Lock the window after:", idle)
        form.addRow("Passphrase:", self.remember_check)
        verify = QHBoxLayout()
        verify.addWidget(self.verify_spin)
        verify.addWidget(QLabel("before a visit (older verifications are flagged)"))
        verify.addStretch(1)
        form.addRow("Verify benefits within:", verify)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.saved_label)
        row.addStretch(1)
        form.addRow("", row)
        self.settings_box.setLayout(form)
        self.settings_box.setMaximumWidth(860)
        return self.settings_box

    def _edi_box(self) -> QGroupBox:
        self.edi_box = QGroupBox("837P / clearinghouse")
        self.edi_form = FormWidget(EDI_FIELDS, problem_width=200, split_at=("receiver_id",))
        self.edi_save_button = QPushButton("Save 837P settings")
        self.edi_save_button.clicked.connect(self.save_edi)
        self.edi_saved_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.edi_save_button)
        row.addWidget(self.edi_saved_label)
        row.addStretch(1)
        column = QVBoxLayout(self.edi_box)
        column.addWidget(note("What the clearinghouse gave the clinic to put in its 837P "
                              "claim files. Electronic claims cannot go out until the "
                              "submitter ID, receiver ID and receiver name are filled."))
        column.addWidget(self.edi_form)
        column.addLayout(row)
        self.edi_box.setMaximumWidth(1100)
        return self.edi_box

    def _billing_box(self) -> QGroupBox:
        self.billing_box = QGroupBox("Payments follow-up")
        self.billing_form = FormWidget(BILLING_FIELDS, problem_width=240)
        self.billing_save_button = QPushButton("Save follow-up settings")
        self.billing_save_button.clicked.connect(self.save_billing)
        self.billing_saved_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.billing_save_button)
        row.addWidget(self.billing_saved_label)
        row.addStretch(1)
        column = QVBoxLayout(self.billing_box)
        column.addWidget(self.billing_form)
        column.addLayout(row)
        self.billing_box.setMaximumWidth(860)
        return self.billing_box

    def save_billing(self) -> None:
        self.billing_form.clear_problems()
        values = self.billing_form.values()
        try:
            self._settings.set_billing(BillingSettings(**{
                k: (v if v is not None else Decimal("-1")) for k, v in values.items()}))
        except ValidationError as exc:
            self.billing_form.show_problems(exc.problems)
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
            return
        self.billing_form.set_values(self._settings.billing())
        self.billing_saved_label.setText(f"Saved at {datetime.now():%H:%M}.")

    def _backup_box(self) -> QGroupBox:
        self.backup_box = QGroupBox("Backup")
        column = QVBoxLayout(self.backup_box)
        column.addWidget(note(
            "ClinicClerk backs up the database on the first start of each day (7 daily and "
            "4 weekly copies are kept). Make an extra copy here, for example onto a USB drive "
            "kept off site. The copy stays encrypted with the clinic passphrase."))
        row = QHBoxLayout()
        row.addWidget(self.backup_button)
        row.addWidget(self.backup_label, 1)
        column.addLayout(row)
        self.backup_box.setMaximumWidth(860)
        return self.backup_box

    def reload(self) -> None:
        self._current = self._settings.get()
        self.idle_spin.setValue(self._current.idle_lock_minutes)
        self.remember_check.setChecked(self._current.allow_remember_passphrase)
        self.verify_spin.setValue(self._current.verify_within_days)
        self.saved_label.clear()
        can_manage = self._ctx.can(Permission.MANAGE_SETTINGS)
        self.settings_box.setEnabled(can_manage)
        self.edi_box.setEnabled(can_manage)
        self.billing_box.setEnabled(can_manage)
        self.edi_saved_label.clear()
        self.billing_saved_label.clear()
        if can_manage:
            self.edi_form.set_values(self._settings.edi())
            self.billing_form.set_values(self._settings.billing())
        self.backup_box.setEnabled(self._ctx.can(Permission.BACKUP))

    def save(self) -> None:
        minutes, remember = self.idle_spin.value(), self.remember_check.isChecked()
        try:
            if minutes != self._current.idle_lock_minutes:
                self._settings.set_idle_lock_minutes(minutes)
                self.idleMinutesChanged.emit(minutes)
            if remember != self._current.allow_remember_passphrase:
                self._settings.set_allow_remember_passphrase(remember)
            if self.verify_spin.value() != self._current.verify_within_days:
                self._settings.set_verify_within_days(self.verify_spin.value())
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
            return
        self.reload()
        self.saved_label.setText(f"Saved at {datetime.now():%H:%M}.")

    def save_edi(self) -> None:
        self.edi_form.clear_problems()
        try:
            self._settings.set_edi(edi_from(self.edi_form.values()))
        except ValidationError as exc:
            self.edi_form.show_problems(exc.problems)
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
            return
        self.edi_form.set_values(self._settings.edi())
        self.edi_saved_label.setText(f"Saved at {datetime.now():%H:%M}.")

    def back_up(self) -> None:
        suggested = str(Path.home() / f"clinic-backup-{datetime.now():%Y-%m-%d-%H%M}.ccdb")
        name, _ = QFileDialog.getSaveFileName(self, "Back up the clinic database", suggested,
                                              "ClinicClerk database (*.ccdb)")
        if not name:
            return
        path = Path(name)
        self.backup_button.setEnabled(False)
        self.backup_label.setText("Backing up…")
        run_in_background(lambda: self._backup.backup(path), self._backed_up, self._failed,
                          parent=self, progress="Backing up the clinic database…")

    def _backed_up(self, result: BackupResult) -> None:
        self.backup_button.setEnabled(True)
        size = f"{result.size / 1_048_576:.1f} MB"
        self.backup_label.setText(f"Last backup: {result.path} ({size}).")
        QMessageBox.information(self, "Backup made",
                                f"The encrypted backup was written to {result.path} ({size}).")

    def _failed(self, exc: BaseException) -> None:
        self.backup_button.setEnabled(True)
        self.backup_label.setText("")
        show_error(self, exc)
