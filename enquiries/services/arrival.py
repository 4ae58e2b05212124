"""A lead arrives: an enquiry or a callback request, checked for duplicates, given an owner
(round robin among active sales staff) and a due time (the callback SLA clock)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import business_hours

from .. import notifications
from ..models import (
    OPEN_STATUSES,
    Lead,
    LeadActivity,
    LeadType,
    SalesPerson,
)
from .common import SALES_GROUP, _activity, _tracking, sales_staff


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
def _lead_arrive(lead, *, courses=(), now):
    lead.consent_at = now
    lead.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
    lead.created_at = now
    duplicate = find_duplicate(lead)
    if duplicate is not None:
        lead.duplicate_of = duplicate
        lead.duplicate_review = True
        # One person should talk to the same organisation.
        lead.owner = duplicate.owner or _next_owner(now)
    else:
        lead.owner = _next_owner(now)
    lead.full_clean()
    lead.save()
    if courses:
        lead.courses.set(courses)
    _activity(lead, LeadActivity.Kind.CREATED, f"{lead.get_lead_type_display()} received from the website.", when=now)
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
    notifications.lead_arrived(lead)
    return lead


def enquiry_submit(*, data, courses=(), tracking=None, now=None):
    """An in-house training enquiry from the website or API. `data` holds the form's fields."""
    now = now or timezone.now()
    fields = {k: v for k, v in data.items() if k not in {"courses", "consent"}}
    lead = Lead(lead_type=LeadType.ENQUIRY, **fields, **_tracking(tracking or {}))
    lead.next_action = "Reply to the enquiry"
    lead.due_at = business_hours.add_working_time(now, timedelta(hours=settings.ENQUIRY_SLA_WORKING_HOURS))
    return _lead_arrive(lead, courses=courses, now=now)


def callback_submit(*, data, tracking=None, now=None):
    """A "Let's talk" callback request. `data` may hold callback_date and callback_period (a slot)."""
    now = now or timezone.now()
    fields = {k: v for k, v in data.items() if k not in {"consent", "slot"}}
    lead = Lead(lead_type=LeadType.CALLBACK, **fields, **_tracking(tracking or {}))
    slot = (lead.callback_date, lead.callback_period) if lead.callback_date and lead.callback_period else None
    lead.next_action = "Call back"
    lead.due_at = business_hours.callback_due_at(now, slot)
    return _lead_arrive(lead, now=now)
