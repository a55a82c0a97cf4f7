"""How follow-up work reads in the Payments pages: a work item with its notes and the calls
about its claim, a logged payer call, what a refresh of the queues did. Every value is
escaped: a note or a payer's words are text, never markup."""

from __future__ import annotations

import html
from datetime import date

from app.services.followup import CategoryCount, Queue, WorkRow
from app.services.payer_calls import CallRow
from app.ui.widgets.form import format_phone


def promise_text(row: CallRow, today: date | None = None) -> str:
    """"Reprocess the claim by 03/10/2026 (kept)", or "" when nothing was promised."""
    if row.promised_on is None:
        return ""
    state = ("kept" if row.promise_kept
             else "overdue" if row.promised_on < (today or date.today()) else "")
    what = row.promised_action.rstrip(".") or "Act"
    return f"{what} by {row.promised_on:%m/%d/%Y}" + (f" ({state})" if state else "")


def call_html(row: CallRow) -> str:
    """One call as a detail pane shows it (every value escaped)."""
    e = html.escape
    ref = f", reference {e(row.reference)}" if row.reference else ""
    head = (f"<b>{row.called_at.astimezone():%m/%d/%Y %H:%M}</b> — {e(row.payer_name)}, "
            f"{e(format_phone(row.phone))}: spoke to {e(row.representative)}{ref}. "
            f"Logged by {e(row.called_by)}.")
    lines = [head, f"<i>Outcome:</i> {e(row.outcome_label)}",
             e(row.summary).replace("\n", "<br>")]
    if promise := promise_text(row):
        lines.append(f"<i>Promised:</i> {e(promise)}")
    if row.claim_numbers:
        lines.append(f"<i>Claims:</i> {e(', '.join(row.claim_numbers))}")
    return "<br>".join(lines)


def detail_html(row: WorkRow, calls: list[CallRow], calls_loading: bool, assignee: str) -> str:
    """The item: what it is about, what to do next, its notes and the claim's calls."""
    e = html.escape
    who = f"{e(row.patient_name)} ({e(row.mrn)})" if row.patient_name else ""
    head = " · ".join(x for x in (f"Claim {e(row.claim_number)}" if row.claim_number else "",
                                   who, e(row.payer_name)) if x)
    due = f", due {row.due_on:%m/%d/%Y}" if row.due_on else ""
    out = [f"<b>{head}</b>", e(row.detail),
           f"<b>Next action:</b> {e(row.next_action.rstrip('.')) or '—'}{due}. "
           f"<b>Assigned to:</b> {e(assignee) or 'nobody'}."]
    if row.note:
        out.append("<b>Notes</b><br>" + e(row.note).replace("\n", "<br>"))
    if calls_loading:
        out.append("<b>Calls about this claim</b><br><i>Reading…</i>")
    elif row.claim_id:
        out.append("<b>Calls about this claim</b><br>" + (
            "<br><br>".join(call_html(c) for c in calls) if calls else "<i>None logged.</i>"))
    return "<p>" + "</p><p>".join(out) + "</p>"


def refresh_text(out: dict[str, int]) -> str:
    """What a refresh of the queues did, in a sentence."""
    return (f"Queues refreshed: {out.get('unpaid', 0)} unpaid, {out.get('timely_filing', 0)} "
            f"timely filing, {out.get('promises', 0)} missed promise(s) and "
            f"{out.get('plans_late', 0)} late plan(s) raised; "
            f"{out.get('closed', 0)} item(s) closed because their cause went away.")


def queue_html(queue: Queue, category: CategoryCount | None, shown: int) -> str:
    """The line over a queue's items: what it holds (a denial category's usual next step)."""
    e = html.escape
    text = f"<b>{e(queue.label)}</b>: {e(queue.description)}."
    if category is not None:
        step = category.next_step.rstrip(".")
        text = f"<b>Denials: {e(category.label)}</b>. Usual next step: {e(step)}."
    return f"{text} {shown:,} item(s) shown."
