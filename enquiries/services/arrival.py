"""A lead arrives: an enquiry or a callback request, checked for duplicates, given an owner
(round robin among active sales staff) and a due time (the callback SLA clock)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import business_hours

from .. import notifications
from ..models import (
    HAND_ADDED_ORIGINS,
    OPEN_STATUSES,
    Lead,
    LeadActivity,
    LeadOrigin,
    LeadType,
    SalesPerson,
)
from .common import SALES_GROUP, _activity, _tracking, is_active_seller, sales_staff


def _next_owner(now):
    """Round robin: the sales person who has gone longest without a new lead (locked, so two
    leads arriving at once go to two people)."""
    if not settings.LEADS_ROUND_ROBIN:
        return None
    for user in sales_staff():
        SalesPerson.objects.get_or_create(user=user)
    person = (
        SalesPerson.objects.select_for_update()
        .filter(takes_new_leads=True, user__is_active=True, user__groups__name=SALES_GROUP)
        .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
        .select_related("user")
        .first()
    )
    if person is None:
        return None
    person.last_assigned_at = now
    person.save(update_fields=["last_assigned_at"])
    return person.user


def find_duplicate(lead):
    """The most recent open lead with the same email, phone or organisation, if any."""
    match = Q()
    if lead.email:
        match |= Q(email__iexact=lead.email)
    if lead.phone:
        match |= Q(phone=lead.phone)
    if lead.organisation.strip():
        match |= Q(organisation__iexact=lead.organisation.strip())
    if not match:
        return None
    candidates = Lead.objects.filter(match, status__in=OPEN_STATUSES, anonymised_at__isnull=True)
    if lead.pk:
        candidates = candidates.exclude(pk=lead.pk)
    return candidates.order_by("-created_at").first()


@transaction.atomic
def _lead_arrive(lead, *, courses=(), now, actor=None):
    if lead.origin not in HAND_ADDED_ORIGINS:
        # Hand-added leads told us by phone or in person; they ticked no consent box.
        lead.consent_at = now
        lead.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
    lead.created_at = now
    duplicate = find_duplicate(lead)
    if duplicate is not None:
        lead.duplicate_of = duplicate
        lead.duplicate_review = True
        # One person should talk to the same organisation, if they still work leads.
        lead.owner = duplicate.owner if is_active_seller(duplicate.owner) else _next_owner(now)
    else:
        lead.owner = _next_owner(now)
    lead.full_clean()
    lead.save()
    if courses:
        lead.courses.set(courses)
    if actor is not None:
        how = f"added by {actor.get_username()} ({lead.get_origin_display().lower()})"
    else:
        how = "received through the API" if lead.origin == LeadOrigin.API else "received from the website"
    _activity(lead, LeadActivity.Kind.CREATED, f"{lead.get_lead_type_display()} {how}.", actor=actor, when=now)
    if lead.owner:
        how = (
            "the owner of the lead it may duplicate"
            if duplicate is not None and duplicate.owner_id == lead.owner_id
            else "round robin"
        )
        _activity(lead, LeadActivity.Kind.OWNER, f"Assigned to {lead.owner.get_username()} ({how}).", when=now)
    if duplicate is not None:
        text = f"Possible duplicate of {duplicate.reference} (same email, phone or organisation): merge or keep apart."
        _activity(lead, LeadActivity.Kind.DUPLICATE, text, when=now)
        _activity(duplicate, LeadActivity.Kind.DUPLICATE, f"New lead {lead.reference} may be the same.", when=now)
    notifications.lead_arrived(lead, acknowledge=lead.origin not in HAND_ADDED_ORIGINS)
    return lead


def enquiry_submit(*, data, courses=(), tracking=None, now=None, origin=LeadOrigin.WEBSITE):
    """An in-house training enquiry from the website or API. `data` holds the form's fields."""
    now = now or timezone.now()
    fields = {k: v for k, v in data.items() if k not in {"courses", "consent"}}
    lead = Lead(lead_type=LeadType.ENQUIRY, origin=origin, **fields, **_tracking(tracking or {}))
    lead.next_action = "Reply to the enquiry"
    lead.due_at = business_hours.add_working_time(now, timedelta(hours=settings.ENQUIRY_SLA_WORKING_HOURS))
    return _lead_arrive(lead, courses=courses, now=now)


def callback_submit(*, data, tracking=None, now=None, origin=LeadOrigin.WEBSITE):
    """A "Let's talk" callback request. `data` may hold callback_date and callback_period (a slot)."""
    now = now or timezone.now()
    fields = {k: v for k, v in data.items() if k not in {"consent", "slot"}}
    lead = Lead(lead_type=LeadType.CALLBACK, origin=origin, **fields, **_tracking(tracking or {}))
    slot = (lead.callback_date, lead.callback_period) if lead.callback_date and lead.callback_period else None
    lead.next_action = "Call back"
    lead.due_at = business_hours.callback_due_at(now, slot)
    return _lead_arrive(lead, now=now)


def check_callback_slot(day, period, *, now=None):
    """Refuse a callback slot that has passed or is outside working days (field by field)."""
    now = now or timezone.now()
    if bool(day) != bool(period):
        raise ValidationError({"callback_period" if day else "callback_date": "Give both the day and the time of day."})
    if day and not business_hours.slot_is_available(day, period, now):
        raise ValidationError({"callback_date": "Choose a working day and a time of day that has not passed yet."})


def lead_add(*, lead_type, origin, data, courses=(), actor, now=None):
    """A lead added by hand by sales staff: a phone-in enquiry, a contact made at an event, a
    referral. The website's rules apply (duplicates, the SLA clock or the agreed callback slot,
    round robin, timeline, the owner's alert) but not its rate limit, and no acknowledgement is
    emailed: they have already spoken to us. Returns the saved lead."""
    now = now or timezone.now()
    errors = {}
    if origin not in HAND_ADDED_ORIGINS:
        errors["origin"] = "Choose how the lead came in: phone, event, referral or other."
    if lead_type not in LeadType.values:
        errors["lead_type"] = "Choose enquiry or callback."
    if not data.get("email") and not data.get("phone"):
        errors["email"] = "Give an email address or a phone number, so we can get back to them."
    if errors:
        raise ValidationError(errors)
    fields = {k: v for k, v in data.items() if k not in {"courses", "consent", "slot", "lead_type", "origin"}}
    lead = Lead(lead_type=lead_type, origin=origin, **fields, **_tracking({}, origin))
    if lead_type == LeadType.CALLBACK:
        check_callback_slot(lead.callback_date, lead.callback_period, now=now)
        slot = (lead.callback_date, lead.callback_period) if lead.callback_date else None
        lead.next_action = "Call back"
        lead.due_at = business_hours.callback_due_at(now, slot)
    else:
        lead.next_action = "Reply to the enquiry"
        lead.due_at = business_hours.add_working_time(now, timedelta(hours=settings.ENQUIRY_SLA_WORKING_HOURS))
    return _lead_arrive(lead, courses=courses, now=now, actor=actor)


@transaction.atomic
def salesperson_set_taking_leads(*, user, taking, actor=None):
    """A sales person leaves the round robin (a holiday) or comes back. Their existing leads stay
    theirs. Returns the SalesPerson row."""
    if not sales_staff().filter(pk=user.pk).exists():
        raise ValidationError("Only active sales staff take new leads.")
    person, _ = SalesPerson.objects.select_for_update().get_or_create(user=user)
    if person.takes_new_leads != bool(taking):
        person.takes_new_leads = bool(taking)
        person.save(update_fields=["takes_new_leads"])
    return person
