"""Every write on leads and newsletter subscribers. The web forms, the API, the admin and the
tasks all call these functions.

A lead arrives (enquiry_submit, callback_submit), is checked against open leads for duplicates,
gets an owner (round robin among active sales staff) and a due time (the callback SLA clock),
and from then on every status or owner change is written to its timeline.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import business_hours

from . import notifications
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Lead,
    LeadActivity,
    LeadStatus,
    LeadType,
    NewsletterSubscriber,
    SalesPerson,
    SubscriberStatus,
)

SALES_GROUP = "Sales"
TRACKING_FIELDS = ["landing_page", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]


def _actor_name(actor):
    return actor.get_username() if actor is not None else "system"


def _activity(lead, kind, text, *, actor=None, outcome="", when=None):
    return LeadActivity.objects.create(
        lead=lead, kind=kind, text=text, author=actor, outcome=outcome, created_at=when or timezone.now()
    )


# Arrival --------------------------------------------------------------------------------------------


def sales_staff():
    """Active users in the Sales group: who can own leads."""
    return get_user_model().objects.filter(is_active=True, groups__name=SALES_GROUP).order_by("first_name", "username")


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


def _tracking(tracking):
    return {
        name: str(tracking.get(name, "") or "")[: 500 if name in ("landing_page", "referrer") else 100]
        for name in TRACKING_FIELDS
    }


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


# Working a lead ---------------------------------------------------------------------------------


def _lock(lead):
    """The lead, locked for this transaction. An anonymised lead can no longer be worked."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.anonymised_at:
        raise ValidationError(
            "This lead's personal data was removed under the retention policy; it can no longer be worked.",
            code="lead_anonymised",
        )
    return lead


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


# Newsletter -----------------------------------------------------------------------------------------


@dataclass
class SubscribeResult:
    subscriber: NewsletterSubscriber
    email_sent: bool


@transaction.atomic
def newsletter_subscribe(*, email, name="", sector=None, tracking=None, now=None):
    """Start double opt-in. Signing up again changes nothing (a pending sign-up gets its
    confirmation email again at most once a day; a confirmed one nothing)."""
    now = now or timezone.now()
    email = email.strip()
    subscriber = NewsletterSubscriber.objects.select_for_update().filter(email__iexact=email).first()
    if subscriber is None:
        subscriber = NewsletterSubscriber(
            email=email,
            name=name.strip(),
            sector=sector,
            consent_at=now,
            privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
            created_at=now,
            **_tracking(tracking or {}),
        )
        subscriber.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                subscriber.save()
        except IntegrityError:
            # The same address signed up at the same moment: that sign-up stands.
            return SubscribeResult(NewsletterSubscriber.objects.get(email__iexact=email), email_sent=False)
    elif subscriber.status == SubscriberStatus.CONFIRMED:
        return SubscribeResult(subscriber, email_sent=False)
    elif subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        # Signing up again after leaving: a fresh double opt-in.
        subscriber.status = SubscriberStatus.PENDING
        subscriber.consent_at = now
        subscriber.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
        subscriber.save()
    sent = notifications.newsletter_confirmation(subscriber, now=now)
    return SubscribeResult(subscriber, email_sent=sent)


@transaction.atomic
def newsletter_confirm(*, subscriber, now=None):
    subscriber = NewsletterSubscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != SubscriberStatus.CONFIRMED:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = now or timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.save()
        notifications.newsletter_welcome(subscriber)
    return subscriber


@transaction.atomic
def newsletter_unsubscribe(*, subscriber, now=None):
    subscriber = NewsletterSubscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = now or timezone.now()
        subscriber.save()
    return subscriber


# Personal data ------------------------------------------------------------------------------------


ANONYMISED = "(anonymised)"


def leads_to_anonymise(now):
    """Closed leads past LEAD_RETENTION_MONTHS, not yet anonymised."""
    cutoff = now - timedelta(days=round(settings.LEAD_RETENTION_MONTHS * 30.44))
    return Lead.objects.filter(status__in=CLOSED_STATUSES, closed_at__lt=cutoff, anonymised_at__isnull=True)


def signups_to_drop(now):
    """Newsletter sign-ups unconfirmed NEWSLETTER_UNCONFIRMED_DAYS after they last asked to join
    (signing up again after leaving restarts the clock)."""
    cutoff = now - timedelta(days=settings.NEWSLETTER_UNCONFIRMED_DAYS)
    return NewsletterSubscriber.objects.filter(status=SubscriberStatus.PENDING, consent_at__lt=cutoff)


def leads_anonymise_closed(*, now=None):
    """Remove the personal data of leads closed longer ago than LEAD_RETENTION_MONTHS.

    The lead stays (for counts and conversion reports) without anything that identifies a
    person; notes and call records are emptied too. Returns the number anonymised."""
    now = now or timezone.now()
    count = 0
    for pk in leads_to_anonymise(now).values_list("pk", flat=True):
        with transaction.atomic():
            lead = _lock(Lead(pk=pk))
            lead.name = ANONYMISED
            for field in ["job_title", "email", "message", "preferred_dates", "previous_training", "topic",
                          "referrer", "landing_page", "next_action"]:  # fmt: skip
                setattr(lead, field, "")
            lead.phone = ""
            lead.anonymised_at = now
            lead.save()
            lead.activities.exclude(kind=LeadActivity.Kind.STATUS).update(text=ANONYMISED)
            # The emails we sent them hold the same details.
            lead.emails.update(
                to=[], recipients="", reply_to=[], subject=ANONYMISED, body_text=ANONYMISED, body_html=""
            )
            count += 1
    return count


def newsletter_drop_unconfirmed(*, now=None):
    """Delete sign-ups never confirmed within NEWSLETTER_UNCONFIRMED_DAYS. Returns how many."""
    deleted, _ = signups_to_drop(now or timezone.now()).delete()
    return deleted


def personal_data_export(*, email):
    """Everything held about one email address, as plain data (a subject access request)."""
    from booking.models import Booking, Delegate
    from outbox.models import OutboundEmail

    def when(value):
        return timezone.localtime(value).isoformat() if value else None

    leads = Lead.objects.filter(email__iexact=email).prefetch_related("activities", "courses")
    bookings = Booking.objects.filter(contact_email__iexact=email).select_related("session__course")
    delegate_places = Delegate.objects.filter(email__iexact=email).select_related("booking__session__course")
    subscribers = NewsletterSubscriber.objects.filter(email__iexact=email)
    # The text search finds candidates; only exact addresses count (jo@ is not banjo@).
    emails = [
        row
        for row in OutboundEmail.objects.filter(recipients__icontains=email)
        if email.lower() in {address.lower() for address in row.to}
    ]
    return {
        "email": email,
        "exported_at": when(timezone.now()),
        "leads": [
            {
                "reference": lead.reference,
                "type": lead.lead_type,
                "status": lead.status,
                "name": lead.name,
                "job_title": lead.job_title,
                "organisation": lead.organisation,
                "email": lead.email,
                "phone": str(lead.phone or ""),
                "message": lead.message,
                "courses": [course.title for course in lead.courses.all()],
                "consent_at": when(lead.consent_at),
                "privacy_notice_version": lead.privacy_notice_version,
                "created_at": when(lead.created_at),
                "timeline": [
                    {"at": when(a.created_at), "kind": a.kind, "outcome": a.outcome, "text": a.text}
                    for a in lead.activities.all()
                ],
            }
            for lead in leads
        ],
        "bookings_made": [
            {
                "reference": b.reference,
                "course": b.session.course.title,
                "status": b.status,
                "name": b.contact_name,
                "phone": str(b.contact_phone),
                "organisation": b.organisation,
                "created_at": when(b.created_at),
            }
            for b in bookings
        ],
        "places_as_delegate": [
            {
                "booking": d.booking.reference,
                "course": d.booking.session.course.title,
                "name": d.name,
                "job_role": d.job_role,
                "adjustments": d.adjustments,
            }
            for d in delegate_places
        ],
        "newsletter": [
            {
                "status": s.status,
                "name": s.name,
                "consent_at": when(s.consent_at),
                "confirmed_at": when(s.confirmed_at),
                "unsubscribed_at": when(s.unsubscribed_at),
            }
            for s in subscribers
        ],
        "emails_sent": [
            {"at": when(e.created_at), "kind": e.kind, "subject": e.subject, "status": e.status} for e in emails
        ],
    }
