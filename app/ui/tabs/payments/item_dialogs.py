"""The small forms the Work queues page opens on its items: the next action and its due date,
whom the items are given to, and a note. Each is a `FormDialog` whose Save calls
`WorkQueueService`; the service's field problems show under the fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QWidget

from app.errors import ValidationError
from app.services.followup import WorkRow
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import FieldSpec, FormDialog

WIDE = 460


def _label(row: WorkRow) -> str:
    return f"claim {row.claim_number}" if row.claim_number else f"item {row.id}"


def next_action_dialog(sv: PaymentsServices, row: WorkRow,
                       parent: QWidget | None = None) -> FormDialog:
    """What to do next about the item, and by when."""
    specs = (FieldSpec("next_action", "Next action", width=WIDE,
                       hint="e.g. Send the visit notes to the payer"),
             FieldSpec("due_on", "Due", "date", width=130))

    def submit(v: dict[str, Any]) -> WorkRow:
        return sv.work.update(row.id, next_action=v["next_action"], due_on=v["due_on"])

    dialog = FormDialog(f"Next action on {_label(row)}", specs, submit, parent,
                        intro="The queue is worked by due date: the item moves to its place.")
    dialog.form.set_values({"next_action": row.next_action, "due_on": row.due_on})
    return dialog


def assign_dialog(sv: PaymentsServices, rows: Sequence[WorkRow], people: dict[str, str],
                  parent: QWidget | None = None) -> FormDialog:
    """Give the items to one person (`people`: username → name); empty unassigns them."""
    specs = (FieldSpec("assignee", "Give to", "combo", choices=people, blank=True,
                       show_code=False, width=280),)
    ids = [r.id for r in rows]

    def submit(v: dict[str, Any]) -> int:
        return sv.work.assign_many(ids, v["assignee"])

    what = _label(rows[0]) if len(rows) == 1 else f"{len(rows)} items"
    dialog = FormDialog(f"Assign {what}", specs, submit, parent,
                        intro="Leave it empty to take the items off everyone's list.")
    dialog.form.set_values({"assignee": rows[0].assignee if len(rows) == 1 else ""})
    return dialog


def note_dialog(sv: PaymentsServices, row: WorkRow, parent: QWidget | None = None
                ) -> FormDialog:
    """A dated note under the item's earlier ones (notes are never rewritten)."""
    specs = (FieldSpec("note", "Note", "multiline", width=WIDE,
                       hint="What you did or found out"),)

    def submit(v: dict[str, Any]) -> WorkRow:
        if not v["note"].strip():
            raise ValidationError({"note": "Write the note first."}, "note")
        return sv.work.update(row.id, note=v["note"])

    return FormDialog(f"Note on {_label(row)}", specs, submit, parent,
                      intro="Notes are kept with the date and your name, under the earlier "
                            "ones.")
