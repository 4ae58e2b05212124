"""Retention: leads closed longer ago than LEAD_RETENTION_MONTHS are anonymised and newsletter
sign-ups never confirmed are dropped (the nightly apply_retention task). The anonymising itself
is shared with an erasure on request (personal_data.py)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from outbox.models import EmailStatus

from ..models import (
    CLOSED_STATUSES,
    Lead,
    LeadActivity,
    LeadStatus,
    NewsletterSubscriber,
    SubscriberStatus,
)
from .common import _activity

ANONYMISED = "(anonymised)"
ERASED = "Personal data erased on request"
# Cleared on anonymising; organisation, sector, courses and counts stay for the reports.
ANONYMISED_FIELDS = ["job_title", "email", "message", "preferred_dates", "previous_training", "topic",
                     "referrer", "landing_page", "next_action"]  # fmt: skip
WITHDRAWN = "Not sent: the recipient's personal data was erased on request."


def leads_to_anonymise(now):
    """Closed leads past LEAD_RETENTION_MONTHS, not yet anonymised."""
    cutoff = now - timedelta(days=round(settings.LEAD_RETENTION_MONTHS * 30.44))
    return Lead.objects.filter(status__in=CLOSED_STATUSES, closed_at__lt=cutoff, anonymised_at__isnull=True)


def signups_to_drop(now):
    """Newsletter sign-ups unconfirmed NEWSLETTER_UNCONFIRMED_DAYS after they last asked to join
    (signing up again after leaving restarts the clock)."""
    cutoff = now - timedelta(days=settings.NEWSLETTER_UNCONFIRMED_DAYS)
    return NewsletterSubscriber.objects.filter(status=SubscriberStatus.PENDING, consent_at__lt=cutoff)


def _anonymise_emails(emails):
    """Strip the addresses and contents of these outbox rows. One still waiting to go is
    withdrawn: sent to nobody it would only pass for delivered (no ops alert, nothing failed)."""
    emails.filter(status=EmailStatus.QUEUED).update(status=EmailStatus.FAILED, last_error=WITHDRAWN, ops_alerted=True)
    return emails.update(
        to=[], recipients="", reply_to=[], subject=ANONYMISED, body_text=ANONYMISED, body_html="", attachments=[]
    )


def _anonymise_leads(lead_ids, *, now, reason, actor=None):
    """Remove the personal data of these leads, locked, skipping any done meanwhile. The lead
    stays (for counts and conversion reports) without anything that identifies a person; notes,
    call records and the emails we sent about it are emptied too. An open lead is closed as lost
    (it can no longer be worked, so it must not sit in anyone's list or turn overdue). Returns
    the leads anonymised. Callers hold the transaction."""
    leads = list(Lead.objects.select_for_update().filter(pk__in=lead_ids, anonymised_at__isnull=True).order_by("pk"))
    for lead in leads:
        closing = lead.status not in CLOSED_STATUSES
        previous = lead.get_status_display()
        if closing:
            lead.status, lead.lost_reason, lead.closed_at = LeadStatus.LOST, ERASED, now
            lead.due_at = lead.retry_at = None
        lead.name = ANONYMISED
        for name in ANONYMISED_FIELDS:
            setattr(lead, name, "")
        lead.phone = ""
        lead.duplicate_review = False  # nothing left to compare
        lead.anonymised_at, lead.anonymised_reason = now, reason[:300]
        lead.save()
        lead.activities.exclude(kind=LeadActivity.Kind.STATUS).update(text=ANONYMISED)
        _anonymise_emails(lead.emails.all())
        _anonymise_quotes(lead)
        if closing:  # after the clearing above, which spares status entries anyway
            _activity(lead, LeadActivity.Kind.STATUS, f"Status changed from {previous} to Lost: {ERASED}.", actor=actor)
    return leads


def _anonymise_quotes(lead):
    """A quote never accepted goes with its lead: the person's details emptied and its link
    revoked. An accepted quote is the contract behind a booking and its invoice, kept as bookings
    are (personal_data.py)."""
    from quotes.models import QuoteStatus, new_signing_key

    for quote in lead.quotes.exclude(status=QuoteStatus.ACCEPTED):
        type(quote).objects.filter(pk=quote.pk).update(
            contact_name=ANONYMISED,
            contact_email="",
            notes="",
            signing_key=new_signing_key(),
        )


def leads_anonymise_closed(*, now=None):
    """Remove the personal data of leads closed longer ago than LEAD_RETENTION_MONTHS, one lead
    per transaction so a long backlog never holds locks for long. Returns the number anonymised."""
    now = now or timezone.now()
    reason = f"Retention: closed more than {settings.LEAD_RETENTION_MONTHS} months ago"
    count = 0
    for pk in leads_to_anonymise(now).values_list("pk", flat=True):
        with transaction.atomic():
            count += len(_anonymise_leads([pk], now=now, reason=reason))
    return count


def newsletter_drop_unconfirmed(*, now=None):
    """Delete sign-ups never confirmed within NEWSLETTER_UNCONFIRMED_DAYS. Returns how many."""
    deleted, _ = signups_to_drop(now or timezone.now()).delete()
    return deleted
