"""Logging a phone call to a payer (app.services.payer_calls): whom the clerk spoke to, the
call's reference, what was said, the outcome and what the payer promised by when, and the
claims it was about. The payer and its phone come from the claims when they are known; each
problem the service finds is shown under its field and nothing the clerk typed is lost."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from app.errors import UserError, ValidationError
from app.services.directory import PayerData
from app.services.payer_calls import OUTCOMES, CallData, CallRow
from app.services.permissions import Permission
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import FieldSpec, FormDialog, format_phone

CLAIM_NUMBER = re.compile(r"(\d+)(?:R\d+)?", re.IGNORECASE)
SUMMARY_HEIGHT = 110
# A call logged on a later day is kept at midday of the day it was made: follow-up counts
# days, and the clerk rarely knows the minute.
EARLIER_CALL_TIME = time(12, 0)


def parse_claim_numbers(text: str) -> tuple[int, ...]:
    """Claim ids from what was typed: "1024, 1031R2 1040" → (1024, 1031, 1040). ValueError
    when a piece is not a claim number."""
    ids: list[int] = []
    for piece in re.split(r"[\s,;]+", text.strip()):
        if not piece:
            continue
        found = CLAIM_NUMBER.fullmatch(piece)
        if found is None:
            raise ValueError(piece)
        ids.append(int(found.group(1)))
    return tuple(dict.fromkeys(ids))


def call_time(day: date | None) -> datetime | None:
    """What the service gets for "Called on": None (now) for today or blank."""
    if day is None or day == date.today():
        return None
    return datetime.combine(day, EARLIER_CALL_TIME)


def _specs(payers: Sequence[PayerData]) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("payer_id", "Payer", "combo", choices={str(p.id): p.name for p in payers},
                  blank=True, show_code=False),
        FieldSpec("phone", "Phone called", hint="(800) 555-0101", display=format_phone,
                  width=180),
        FieldSpec("called_at", "Called on", "date", width=130),
        FieldSpec("representative", "Spoke to", hint="The representative's name"),
        FieldSpec("reference", "Call reference", hint="The number the payer gave the call"),
        FieldSpec("claim_ids", "Claims", hint="Claim numbers, e.g. 1024, 1031"),
        FieldSpec("outcome", "Outcome", "combo", choices=OUTCOMES, show_code=False),
        FieldSpec("summary", "What was said", "multiline", width=420,
                  hint="What the payer told you, in a few lines"),
        FieldSpec("promised_action", "Payer promised to", width=420,
                  hint="e.g. Reprocess the claim with the corrected modifier"),
        FieldSpec("promised_on", "Promised by", "date", width=130),
    )


class CallDialog(FormDialog):
    """Open it with `open()`; `saved` carries the `CallRow` kept."""

    def __init__(self, sv: PaymentsServices, claim_ids: Sequence[int] = (),
                 payer_id: int | None = None, parent: QWidget | None = None) -> None:
        payers = {p.id: p for p in sv.directory.payers() if p.active or p.id == payer_id}
        super().__init__("Log a payer call", _specs(list(payers.values())), self._log,
                         parent, intro="What the payer said stays with its claims. A promise "
                         "with a date comes back in the Payer promises queue if nobody marks "
                         "it kept by then.", split_at=("outcome",))
        self._sv, self._payers = sv, payers
        self.form.editors["summary"].setFixedHeight(SUMMARY_HEIGHT)
        self._phone_shown = ""
        self.payer_combo.currentIndexChanged.connect(lambda _i: self._payer_changed())
        self.claims_edit.editingFinished.connect(self._claims_typed)
        self.form.set_values({"payer_id": str(payer_id or ""), "called_at": date.today(),
                              "claim_ids": ", ".join(map(str, claim_ids)),
                              "outcome": "resolved"})
        if payer_id is None and claim_ids:
            self._claims_typed()
        self._payer_changed()

    @property
    def payer_combo(self) -> QComboBox:
        combo = self.form.editors["payer_id"]
        assert isinstance(combo, QComboBox)
        return combo

    @property
    def claims_edit(self) -> QLineEdit:
        edit = self.form.editors["claim_ids"]
        assert isinstance(edit, QLineEdit)
        return edit

    def _payer_changed(self) -> None:
        """The payer's phone, unless the clerk typed another number."""
        phone = self.form.editors["phone"]
        assert isinstance(phone, QLineEdit)
        if phone.text() and phone.text() != self._phone_shown:
            return
        payer = self._payers.get(int(self.payer_combo.currentData() or 0))
        self._phone_shown = format_phone(payer.phone) if payer else ""
        phone.setText(self._phone_shown)

    def _claims_typed(self) -> None:
        """No payer chosen yet: take the first typed claim's payer."""
        if self.payer_combo.currentData() or not self._sv.ctx.can(Permission.MANAGE_CLAIMS):
            return
        try:
            first = parse_claim_numbers(self.claims_edit.text())[:1]
            view = self._sv.claims.get(first[0]) if first else None
        except (ValueError, UserError):
            return  # the service names what is wrong when the call is saved
        if view is not None:
            self.payer_combo.setCurrentIndex(max(self.payer_combo.findData(str(view.payer_id)),
                                                 0))

    def _log(self, values: dict[str, Any]) -> CallRow:
        try:
            claims = parse_claim_numbers(values["claim_ids"])
        except ValueError as exc:
            raise ValidationError({"claim_ids": f"“{exc}” is not a claim number: type the "
                                                "numbers separated by commas."}, "call") from None
        return self._sv.calls.log_call(CallData(
            payer_id=int(values["payer_id"] or 0), claim_ids=claims,
            summary=values["summary"], outcome=values["outcome"],
            representative=values["representative"], reference=values["reference"],
            phone=values["phone"], called_at=call_time(values["called_at"]),
            promised_action=values["promised_action"], promised_on=values["promised_on"]))

