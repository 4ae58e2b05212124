"""Working a lead: owner, status, notes, calls, next action, duplicates and bookings; every change
written to its timeline."""

from datetime import date, datetime

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst

from core import business_hours

from ..models import (
    CLOSED_STATUSES,
    Lead,
    LeadActivity,
    LeadStatus,
    Setting,
)
from .common import _activity, _lock, sales_staff


@transaction.atomic
def lead_assign(*, lead, owner, actor=None):
    lead = _lock(lead)
    if owner is not None and not sales_staff().filter(pk=owner.pk).exists() and not owner.is_superuser:
        raise ValidationError({"owner": "Leads can only be assigned to active sales staff."})
    if lead.owner_id == (owner.pk if owner else None):
        return lead
    previous = lead.owner.get_username() if lead.owner else "nobody"
    lead.owner = owner
    lead.save(update_fields=["owner", "updated_at"])
    _activity(
        lead,
        LeadActivity.Kind.OWNER,
        f"Owner changed from {previous} to {owner.get_username() if owner else 'nobody'}.",
        actor=actor,
    )
    return lead


@transaction.atomic
def lead_change_status(*, lead, status, actor=None, lost_reason="", retry_at=None):
    """Move a lead to any status. "Lost" needs a reason; "no answer" (any lead type) needs a
    future time to try again, which becomes the next action's due time. Closing a lead (won or
    lost) ends its next action, so nothing closed is ever overdue."""
    lead = _lock(lead)
    status = LeadStatus(status)
    if status == lead.status and status != LeadStatus.NO_ANSWER:
        return lead
    if status == LeadStatus.LOST and not lost_reason.strip():
        raise ValidationError({"lost_reason": "Give a reason when marking a lead lost."})
    if status == LeadStatus.NO_ANSWER:
        if retry_at is None or retry_at <= timezone.now():
            raise ValidationError({"retry_at": "Choose when to try again, in the future."})
        lead.retry_at = retry_at
        _set_next(lead, "Try calling again", retry_at)
    if status in CLOSED_STATUSES:
        _set_next(lead, "", None)
    previous = lead.get_status_display()
    lead.status = status
    lead.lost_reason = lost_reason.strip() if status == LeadStatus.LOST else ""
    lead.closed_at = timezone.now() if status in CLOSED_STATUSES else None
    lead.full_clean()
    lead.save()
    text = f"Status changed from {previous} to {lead.get_status_display()}"
    if status == LeadStatus.LOST:
        text += f": {lead.lost_reason}"
    elif status == LeadStatus.NO_ANSWER:
        text += f"; try again {timezone.localtime(retry_at):%a %d %b %H:%M}"
    _activity(lead, LeadActivity.Kind.STATUS, text + ".", actor=actor)
    return lead


def _set_next(lead, next_action, due_at):
    """A new next action (or none): its overdue alert and escalation start again."""
    lead.next_action = next_action
    lead.due_at = due_at
    lead.overdue_alert_sent_at = None
    lead.escalated_at = None


@transaction.atomic
def lead_add_note(*, lead, text, actor=None):
    if not text.strip():
        raise ValidationError({"note": "Write the note first."})
    lead = _lock(lead)
    lead.save(update_fields=["updated_at"])
    return _activity(lead, LeadActivity.Kind.NOTE, text.strip(), actor=actor)


REACHED = LeadActivity.Outcome.SPOKE
NOT_REACHED = (LeadActivity.Outcome.NO_ANSWER, LeadActivity.Outcome.VOICEMAIL)


def _call_next_step(lead, outcome, *, retry_at, next_action, due_at, status, lost_reason, now):
    """What a call leads to: (status or None, next action, due time). A call closes the action
    it was made for, so it must say what comes next: a next action with a future due time, a
    time to try again (not reached), or a closing status. Raises ValidationError field by field.
    A call to a closed lead (a courtesy call after it was won) may simply be recorded."""
    if not lead.is_open and status is None and not next_action and due_at is None and retry_at is None:
        return None, None, None
    if status in CLOSED_STATUSES:
        if status == LeadStatus.LOST and not lost_reason.strip():
            raise ValidationError({"lost_reason": "Give a reason when marking a lead lost."})
        return status, None, None
    if outcome in NOT_REACHED and retry_at is not None and not next_action:
        if retry_at <= now:
            raise ValidationError({"retry_at": "Choose when to try again, in the future."})
        still_waiting = lead.status in (LeadStatus.NEW, LeadStatus.NO_ANSWER)
        return status or (LeadStatus.NO_ANSWER if still_waiting else None), "Try calling again", retry_at
    errors = {}
    if not next_action:
        errors["next_action"] = (
            "Say when to try again, or what happens next and when, or close the lead."
            if outcome in NOT_REACHED
            else "Say what happens next and when, or close the lead (won or lost)."
        )
    if due_at is None:
        errors["due_at"] = "Choose when the next action is due."
    elif due_at <= now:
        errors["due_at"] = "Choose a due time in the future."
    if errors:
        raise ValidationError(errors)
    if status is None and outcome == REACHED and lead.status in (LeadStatus.NEW, LeadStatus.NO_ANSWER):
        status = LeadStatus.CONTACTED
    return status, next_action, due_at


@transaction.atomic
def lead_log_call(
    *, lead, outcome, text="", actor=None, retry_at=None, next_action="", due_at=None, status=None, lost_reason=""
):
    """Record a call and close the action it was for, setting the next one.

    A call ends with one of: a next action and its due time; for "no answer" or a voicemail, a
    time to try again (the lead becomes "no answer" if it had not been reached yet), for every
    lead type; or a closing status (won, or lost with a reason). A reached new lead becomes
    contacted unless another status is given. Nothing is recorded if the next step is refused."""
    outcome = LeadActivity.Outcome(outcome)
    status = LeadStatus(status) if status else None
    if status == LeadStatus.NO_ANSWER and retry_at is None:
        retry_at = due_at
    next_action = (next_action or "").strip()
    now = timezone.now()
    lead = _lock(lead)
    status, next_action, due_at = _call_next_step(
        lead, outcome, retry_at=retry_at, next_action=next_action, due_at=due_at, status=status,
        lost_reason=lost_reason, now=now,
    )  # fmt: skip
    activity = _activity(lead, LeadActivity.Kind.CALL, text.strip(), actor=actor, outcome=outcome)
    if status is not None and (status != lead.status or status == LeadStatus.NO_ANSWER):
        # "No answer" sets "Try calling again" at the retry time itself; closing ends the action.
        lead = lead_change_status(lead=lead, status=status, actor=actor, lost_reason=lost_reason, retry_at=due_at)
    if next_action is not None and (lead.next_action, lead.due_at) != (next_action, due_at):
        lead = lead_set_next_action(lead=lead, next_action=next_action, due_at=due_at, actor=actor)
    return activity


@transaction.atomic
def lead_set_next_action(*, lead, next_action, due_at, actor=None):
    lead = _lock(lead)
    _set_next(lead, next_action.strip(), due_at)
    lead.save(update_fields=["next_action", "due_at", "overdue_alert_sent_at", "escalated_at", "updated_at"])
    when = timezone.localtime(due_at).strftime("%a %d %b %H:%M") if due_at else "no due time"
    _activity(lead, LeadActivity.Kind.NOTE, f"Next action: {lead.next_action or 'none'} ({when}).", actor=actor)
    return lead


@transaction.atomic
def lead_update(*, lead, actor=None, **changes):
    """Several changes at once (the API's PATCH): status, owner, next action and due time, a note.
    All or nothing."""
    if "owner" in changes:
        lead = lead_assign(lead=lead, owner=changes["owner"], actor=actor)
    if "status" in changes:
        lead = lead_change_status(
            lead=lead,
            status=changes["status"],
            actor=actor,
            lost_reason=changes.get("lost_reason", ""),
            retry_at=changes.get("retry_at"),
        )
    if "next_action" in changes or "due_at" in changes:
        lead = _lock(lead)
        lead = lead_set_next_action(
            lead=lead,
            next_action=changes.get("next_action", lead.next_action),
            due_at=changes.get("due_at", lead.due_at),
            actor=actor,
        )
    if changes.get("note"):
        lead_add_note(lead=lead, text=changes["note"], actor=actor)
    return Lead.objects.get(pk=lead.pk)


# Left out of the merge note: the pipeline's own bookkeeping, shown elsewhere on the survivor.
MERGE_NOTE_SKIPS = {"id", "duplicate_of", "duplicate_review", "overdue_alert_sent_at", "escalated_at", "anonymised_at",
                    "anonymised_reason", "updated_at", "bookings", "channel"}  # fmt: skip


def merge_summary(lead):
    """Every field of a lead being merged away, one "Label: value" per line, for the note on the
    lead it merges into (nothing the prospect told us is lost with it)."""
    lines = [f"Merged in {lead.reference} ({lead.get_lead_type_display().lower()}):"]
    for field in lead._meta.get_fields():
        if not field.concrete or field.name in MERGE_NOTE_SKIPS or field.name == "reference":
            continue
        if field.many_to_many:
            value = ", ".join(str(item) for item in getattr(lead, field.name).all())
        elif field.choices:
            value = getattr(lead, f"get_{field.name}_display")()
        else:
            value = getattr(lead, field.name)
        if field.name == "settings_worked_in":
            value = ", ".join(dict(Setting.choices).get(item, item) for item in value)
        elif field.name == "owner":
            value = value.get_username() if value else ""
        elif isinstance(value, datetime):
            value = timezone.localtime(value).strftime("%a %d %b %Y %H:%M")
        elif isinstance(value, bool):
            value = "yes" if value else ""
        elif isinstance(value, date):
            value = value.strftime("%a %d %b %Y")
        if value not in (None, ""):
            lines.append(f"{capfirst(field.verbose_name)}: {value}")
    return "\n".join(lines)


@transaction.atomic
def lead_resolve_duplicate(*, lead, merge, actor=None):
    """Merge a flagged lead into the one it duplicates (it is closed, its details noted on the
    original), or keep the two apart."""
    lead = _lock(lead)
    original = lead.duplicate_of
    if not lead.duplicate_review or original is None:
        raise ValidationError({"duplicate_of": "This lead is not flagged as a duplicate."})
    lead.duplicate_review = False
    if not merge:
        lead.save(update_fields=["duplicate_review", "updated_at"])
        _activity(lead, LeadActivity.Kind.DUPLICATE, f"Kept apart from {original.reference}.", actor=actor)
        return lead
    original = _lock(original)
    _activity(original, LeadActivity.Kind.NOTE, merge_summary(lead), actor=actor)
    promised = [due for due in (original.due_at, lead.due_at) if due is not None] if original.is_open else []
    if promised and min(promised) != original.due_at:
        # The merged lead's slot was promised to the prospect ("we will call you by 12:30"): the
        # surviving lead keeps the earliest time, with the merged lead's action.
        _set_next(original, lead.next_action or original.next_action, min(promised))
        original.save(update_fields=["next_action", "due_at", "overdue_alert_sent_at", "escalated_at", "updated_at"])
        when = timezone.localtime(original.due_at).strftime("%a %d %b %H:%M")
        _activity(
            original,
            LeadActivity.Kind.NOTE,
            f"Next action: {original.next_action} ({when}), the time promised on {lead.reference}.",
            actor=actor,
        )
    original.bookings.add(*lead.bookings.all())
    original.courses.add(*lead.courses.all())
    lead.status = LeadStatus.LOST
    lead.lost_reason = f"Merged into {original.reference}"
    lead.closed_at = timezone.now()
    _set_next(lead, "", None)
    lead.save()
    _activity(lead, LeadActivity.Kind.DUPLICATE, f"Merged into {original.reference}.", actor=actor)
    return original


CALLBACK_SLOT_FIELDS = {"callback_date", "callback_period"}


@transaction.atomic
def lead_correct_details(*, lead, changed, actor=None):
    """Staff corrected a lead's details (already saved by the admin form; `changed` names the
    fields). Records it, and moves an open callback's due time to the end of a new slot: the
    slot is the time promised to the prospect. Check the slot first with check_callback_slot."""
    from .arrival import check_callback_slot

    if not changed:
        return lead
    lead = _lock(lead)
    labels = ", ".join(str(Lead._meta.get_field(name).verbose_name) for name in changed if _is_field(name))
    _activity(lead, LeadActivity.Kind.NOTE, f"Details corrected: {labels or ', '.join(changed)}.", actor=actor)
    if CALLBACK_SLOT_FIELDS & set(changed) and lead.is_open and lead.callback_date and lead.callback_period:
        check_callback_slot(lead.callback_date, lead.callback_period)
        due_at = business_hours.callback_due_at(timezone.now(), (lead.callback_date, lead.callback_period))
        lead = lead_set_next_action(lead=lead, next_action=lead.next_action or "Call back", due_at=due_at, actor=actor)
    return lead


def _is_field(name):
    try:
        Lead._meta.get_field(name)
    except FieldDoesNotExist:  # a form-only field
        return False
    return True
