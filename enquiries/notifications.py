"""Lead and newsletter emails, queued in the outbox inside the caller's transaction."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import business_hours
from core.templatetags.uk import uk_datetime
from outbox.services import Email, email_queue_many

from . import links


def admin_link(lead):
    return settings.SITE_URL + reverse("admin:enquiries_lead_change", args=[lead.pk])


def lead_summary(lead):
    lines = [
        f"Name: {lead.name}" + (f", {lead.job_title}" if lead.job_title else ""),
        f"Organisation: {lead.organisation}" if lead.organisation else "",
        f"Sector: {lead.sector}" if lead.sector_id else "",
        f"Email: {lead.email}" if lead.email else "",
        f"Phone: {lead.phone.as_national}" if lead.phone else "",
        f"Courses: {', '.join(c.title for c in lead.courses.all())}" if lead.pk and lead.courses.exists() else "",
        f"Staff to train: {lead.staff_count}" if lead.staff_count else "",
        f"Preferred town and dates: {', '.join(p for p in [lead.preferred_town, lead.preferred_dates] if p)}"
        if lead.preferred_town or lead.preferred_dates
        else "",
        f"Topic: {lead.topic}" if lead.topic else "",
        f"Best time: {lead.callback_date:%a %d %b}, {lead.get_callback_period_display().lower()}"
        if lead.callback_date and lead.callback_period
        else "",
        f"Message: {lead.message}" if lead.message else "",
    ]
    return "\n".join(line for line in lines if line)


def acknowledgement_summary(lead):
    """What the acknowledgement repeats back: only what was chosen from our lists or counted,
    never the free text typed (the address is unverified, so the site must not become a way to
    send any text to anyone). The sales team's alert has everything."""
    lines = [
        f"Courses: {', '.join(c.title for c in lead.courses.all())}" if lead.pk and lead.courses.exists() else "",
        f"Sector: {lead.sector}" if lead.sector_id else "",
        f"Staff to train: {lead.staff_count}" if lead.staff_count else "",
        f"Best time: {lead.callback_date:%a %d %b}, {lead.get_callback_period_display().lower()}"
        if lead.callback_date and lead.callback_period
        else "",
        "Your message is with our team." if lead.message or lead.topic else "",
    ]
    return "\n".join(line for line in lines if line)


def _lead_placeholders(lead, now=None):
    return {
        "reference": lead.reference,
        "name": lead.name,
        "organisation": lead.organisation,
        "lead_type": lead.get_lead_type_display().lower() if lead.lead_type == "enquiry" else "callback request",
        "promise": business_hours.thank_you_promise(lead.due_at, now or timezone.now()) if lead.due_at else "",
    }


def lead_arrived(lead):
    """An acknowledgement to the enquirer (when we have their email) and an alert to the sales
    inbox and the lead's owner."""
    base = _lead_placeholders(lead, lead.created_at)
    emails = []
    if lead.email:
        emails.append(
            Email(
                kind="lead_acknowledgement",
                to=[lead.email],
                unique_key=f"lead_acknowledgement:lead-{lead.pk}",
                placeholders={**base, "summary": acknowledgement_summary(lead)},
                lead=lead,
                reply_to=[settings.SALES_EMAIL],
            )
        )
    recipients = [settings.SALES_EMAIL]
    if lead.owner and lead.owner.email and lead.owner.email.lower() != settings.SALES_EMAIL.lower():
        recipients.append(lead.owner.email)
    duplicate = (
        f"This may be the same as open lead {lead.duplicate_of.reference}: merge or keep apart."
        if lead.duplicate_of_id
        else ""
    )
    emails.append(
        Email(
            kind="lead_alert",
            to=recipients,
            unique_key=f"lead_alert:lead-{lead.pk}",
            placeholders={
                **base,
                "owner": _owner_name(lead),
                "due": uk_datetime(lead.due_at) if lead.due_at else "",
                "summary": lead_summary(lead),
                "admin_link": admin_link(lead),
                "duplicate_note": duplicate,
            },
            lead=lead,
            reply_to=[lead.email] if lead.email else [],
        )
    )
    email_queue_many(emails)


def _owner_name(lead):
    if not lead.owner:
        return "nobody yet"
    return lead.owner.get_full_name() or lead.owner.get_username()


def overdue_alerts_queue(leads, *, now=None):
    """An alert to the owner of each callback that has just become overdue (once each)."""
    from .models import Lead

    now = now or timezone.now()
    emails = []
    with transaction.atomic():
        # of=("self",): PostgreSQL cannot lock the nullable side of the join to the owner.
        locked = list(
            Lead.objects.select_for_update(of=("self",))
            .filter(pk__in=[lead.pk for lead in leads])
            .select_related("owner")
        )
        for lead in locked:
            if not lead.owner or not lead.owner.email:
                continue
            emails.append(
                Email(
                    kind="lead_overdue",
                    to=[lead.owner.email],
                    unique_key=f"lead_overdue:lead-{lead.pk}:{lead.due_at.isoformat()}",
                    placeholders={
                        **_lead_placeholders(lead, now),
                        "owner": _owner_name(lead),
                        "due": uk_datetime(lead.due_at),
                        "phone": lead.phone.as_national if lead.phone else "",
                        "admin_link": admin_link(lead),
                    },
                    lead=lead,
                )
            )
        Lead.objects.filter(pk__in=[lead.pk for lead in locked]).update(overdue_alert_sent_at=now)
        return email_queue_many(emails)


def _line(lead):
    due = uk_datetime(lead.due_at) if lead.due_at else "no due time"
    return f"{lead.reference} {lead.organisation or lead.name} ({lead.get_lead_type_display().lower()}, {lead.get_status_display().lower()}), due {due}: {lead.next_action or 'no next action'}"


def digests_queue(*, now=None):
    """Each owner's morning digest of overdue leads and leads due today (working days only)."""
    from .models import OPEN_STATUSES, Lead
    from .services import sales_staff

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if not business_hours.is_working_day(today):
        return 0
    emails = []
    for owner in sales_staff().exclude(email=""):
        open_leads = Lead.objects.filter(owner=owner, status__in=OPEN_STATUSES, due_at__isnull=False).order_by("due_at")
        overdue = [lead for lead in open_leads if lead.due_at < now]
        due_today = [
            lead for lead in open_leads if lead.due_at >= now and timezone.localtime(lead.due_at).date() == today
        ]
        if not overdue and not due_today:
            continue
        emails.append(
            Email(
                kind="lead_digest",
                to=[owner.email],
                unique_key=f"lead_digest:user-{owner.pk}:{today.isoformat()}",
                placeholders={
                    "owner": owner.get_full_name() or owner.get_username(),
                    "overdue": "\n".join(_line(lead) for lead in overdue),
                    "due_today": "\n".join(_line(lead) for lead in due_today),
                    "overdue_count": str(len(overdue)),
                    "due_today_count": str(len(due_today)),
                    "admin_link": settings.SITE_URL + reverse("admin:enquiries_lead_changelist"),
                },
            )
        )
    with transaction.atomic():
        return email_queue_many(emails)


def _unsubscribe_headers(subscriber):
    url = links.unsubscribe_url(subscriber)
    # RFC 8058 one-click unsubscribe, which mail clients show as an "Unsubscribe" button.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def newsletter_confirmation(subscriber, *, now=None):
    """The double opt-in email; at most one a day per subscriber. Returns True if queued."""
    now = now or timezone.now()
    queued = email_queue_many(
        [
            Email(
                kind="newsletter_confirm",
                to=[subscriber.email],
                # Once a day per sign-up (a sign-up again after unsubscribing is a new one).
                unique_key=(
                    f"newsletter_confirm:subscriber-{subscriber.pk}:{subscriber.consent_at:%Y%m%d%H%M%S%f}:"
                    f"{timezone.localtime(now).date().isoformat()}"
                ),
                placeholders={
                    "name": subscriber.name,
                    "confirm_link": links.confirm_url(subscriber),
                    "unsubscribe_link": links.unsubscribe_url(subscriber),
                },
                headers=_unsubscribe_headers(subscriber),
            )
        ]
    )
    return bool(queued)


def newsletter_welcome(subscriber):
    email_queue_many(
        [
            Email(
                kind="newsletter_welcome",
                to=[subscriber.email],
                unique_key=f"newsletter_welcome:subscriber-{subscriber.pk}:{subscriber.confirmed_at.isoformat()}",
                placeholders={"name": subscriber.name, "unsubscribe_link": links.unsubscribe_url(subscriber)},
                headers=_unsubscribe_headers(subscriber),
            )
        ]
    )
