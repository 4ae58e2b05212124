"""Working a lead: owner, status, notes, calls, next action, duplicates and bookings; every change
written to its timeline."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Lead,
    LeadActivity,
    LeadStatus,
    LeadType,
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
    lead = _lock(lead)
    status = LeadStatus(status)
    if status == lead.status and status != LeadStatus.NO_ANSWER:
        return lead
    if status == LeadStatus.LOST and not lost_reason.strip():
        raise ValidationError({"lost_reason": "Give a reason when marking a lead lost."})
    if status == LeadStatus.NO_ANSWER:
        if lead.lead_type != LeadType.CALLBACK:
            raise ValidationError({"status": "'No answer' is for callback requests."})
        if retry_at is None or retry_at <= timezone.now():
            raise ValidationError({"retry_at": "Choose when to try again, in the future."})
        lead.retry_at = retry_at
        lead.due_at = retry_at
        lead.next_action = "Try calling again"
        lead.overdue_alert_sent_at = None
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


@transaction.atomic
def lead_add_note(*, lead, text, actor=None):
    if not text.strip():
        raise ValidationError({"note": "Write the note first."})
    lead = _lock(lead)
    lead.save(update_fields=["updated_at"])
    return _activity(lead, LeadActivity.Kind.NOTE, text.strip(), actor=actor)


@transaction.atomic
def lead_log_call(*, lead, outcome, text="", actor=None, retry_at=None):
    """Record a call. Reaching a new lead marks it contacted; an unanswered callback with a
    retry time becomes "no answer" and is due again then."""
    outcome = LeadActivity.Outcome(outcome)
    lead = _lock(lead)
    activity = _activity(lead, LeadActivity.Kind.CALL, text.strip(), actor=actor, outcome=outcome)
    if outcome == LeadActivity.Outcome.SPOKE and lead.status in (LeadStatus.NEW, LeadStatus.NO_ANSWER):
        lead_change_status(lead=lead, status=LeadStatus.CONTACTED, actor=actor)
    elif outcome != LeadActivity.Outcome.SPOKE and retry_at is not None and lead.lead_type == LeadType.CALLBACK:
        lead_change_status(lead=lead, status=LeadStatus.NO_ANSWER, actor=actor, retry_at=retry_at)
    return activity


@transaction.atomic
def lead_set_next_action(*, lead, next_action, due_at, actor=None):
    lead = _lock(lead)
    lead.next_action = next_action.strip()
    lead.due_at = due_at
    lead.overdue_alert_sent_at = None
    lead.save(update_fields=["next_action", "due_at", "overdue_alert_sent_at", "updated_at"])
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
    summary = f"Merged in {lead.reference} ({lead.get_lead_type_display().lower()}, {timezone.localtime(lead.created_at):%d %b %Y}): "
    summary += "; ".join(
        part
        for part in [lead.name, lead.email, str(lead.phone or ""), lead.message, lead.topic, lead.preferred_dates]
        if part
    )
    _activity(original, LeadActivity.Kind.NOTE, summary, actor=actor)
    original.bookings.add(*lead.bookings.all())
    original.courses.add(*lead.courses.all())
    lead.status = LeadStatus.LOST
    lead.lost_reason = f"Merged into {original.reference}"
    lead.closed_at = timezone.now()
    lead.save()
    _activity(lead, LeadActivity.Kind.DUPLICATE, f"Merged into {original.reference}.", actor=actor)
    return original


def lead_link_booking(*, booking):
    """A booking made by someone with an open lead is linked to that lead, on its timeline, so
    sales staff see which leads turned into bookings. Returns the leads linked."""
    leads = list(
        Lead.objects.filter(
            email__iexact=booking.contact_email, status__in=OPEN_STATUSES, anonymised_at__isnull=True
        ).exclude(bookings=booking)
    )
    for lead in leads:
        lead.bookings.add(booking)
        _activity(
            lead,
            LeadActivity.Kind.NOTE,
            f"Booked {booking.reference}: {booking.session.course.title}, {booking.delegates.count()} delegate(s).",
        )
    return leads


@transaction.atomic
def lead_link_booking_by_reference(*, lead, reference, actor=None):
    """Staff link a booking to the lead it came from, by the booking's reference."""
    from booking.models import Booking

    lead = _lock(lead)
    booking = Booking.objects.filter(reference=reference.strip().upper()).select_related("session__course").first()
    if booking is None:
        raise ValidationError({"reference": "No booking has that reference."})
    if lead.bookings.filter(pk=booking.pk).exists():
        raise ValidationError({"reference": "That booking is already linked to this lead."})
    lead.bookings.add(booking)
    _activity(
        lead,
        LeadActivity.Kind.NOTE,
        f"Booking {booking.reference} linked: {booking.session.course.title}, {booking.organisation}.",
        actor=actor,
    )
    return booking


def leads_due_for_overdue_alert(now=None):
    now = now or timezone.now()
    return Lead.objects.filter(
        lead_type=LeadType.CALLBACK,
        status__in=OPEN_STATUSES,
        due_at__lt=now,
        overdue_alert_sent_at__isnull=True,
        owner__isnull=False,
    )
