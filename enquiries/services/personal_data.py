"""Personal data: retention (anonymising closed leads, dropping stale sign-ups) and the
subject-access export."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import (
    CLOSED_STATUSES,
    Lead,
    LeadActivity,
    NewsletterSubscriber,
    SubscriberStatus,
)
from .common import _lock

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
