"""The small questions the claim editor asks before an action (each a standard dialog, which
tests replace): the payer's claim number for a replacement or void, and which open claim of
the patient takes the lines being moved."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from app.services.claims import OPEN_STATUSES, ClaimRow, ClaimView
from app.ui.tabs.claims import status_text


def payer_number(parent: QWidget, view: ClaimView, what: str) -> str | None:
    """The payer's claim number (box 22) for a `what` ("replacement" or "void") of `view`:
    asked when the claim does not know it yet, confirmed when it does; None to stop."""
    title = f"Make a {what}"
    number = view.payer_claim_number
    if not number:
        typed, ok = QInputDialog.getText(
            parent, title, "The payer's claim number for this claim (from the remittance or "
            "the payer's portal; box 22):")
        return typed.strip() if ok and typed.strip() else None
    answer = QMessageBox.question(parent, title, f"Make a {what} of claim {view.number} "
                                  f"(payer's number {number})?")
    return number if answer == QMessageBox.StandardButton.Yes else None


def move_target(parent: QWidget, view: ClaimView, rows: list[ClaimRow]) -> ClaimRow | None:
    """Another open claim of the patient (from `ClaimService.for_patient`), chosen by the
    clerk; None when there is none or they cancel."""
    targets = [r for r in rows if r.id != view.id and r.status in OPEN_STATUSES]
    if not targets:
        QMessageBox.information(parent, "Move lines", "This patient has no other open claim. "
                                "Use “Split to a new claim” instead.")
        return None
    items = [f"Claim {r.number} · {r.payer_name} · {r.lines} line(s) · {status_text(r.status)}"
             for r in targets]
    chosen, ok = QInputDialog.getItem(parent, "Move lines", "Move the chosen lines to:", items,
                                      0, False)
    return targets[items.index(chosen)] if ok and chosen in items else None
