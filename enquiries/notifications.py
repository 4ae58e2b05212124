"""Lead and newsletter emails, queued in the outbox inside the caller's transaction."""

from django.conf import settings
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


def lead_arrived(lead, *, acknowledge=True):
    """An acknowledgement to the enquirer (when we have their email) and an alert to the sales
    inbox and the lead's owner."""
    base = _lead_placeholders(lead, lead.created_at)
    emails = []
    if lead.email and acknowledge:
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


def lead_booked(lead, booking, *, won, actor=None):
    """Tell the lead's owner (or the sales inbox, if nobody active owns it) that the lead has
    booked, and whether it was moved to won or needs their decision."""
    from .services.common import is_active_seller

    if actor is not None and actor == lead.owner:
        return  # they linked it themselves
    owner = lead.owner if is_active_seller(lead.owner) and lead.owner.email else None
    count = booking.delegates.count()
    email_queue_many(
        [
            Email(
                kind="lead_booked",
                to=[owner.email if owner else settings.SALES_EMAIL],
                unique_key=f"lead_booked:lead-{lead.pk}:booking-{booking.pk}",
                placeholders={
                    **_lead_placeholders(lead),
                    "owner": _owner_name(lead) if owner else "sales team",
                    "who": lead.organisation or lead.name,
                    "booking_reference": booking.reference,
                    "course": booking.session.course.title,
                    "session": str(booking.session),
                    "delegates": f"{count} delegate{'' if count == 1 else 's'}",
                    "booking_status": booking.get_status_display().lower(),
                    "won": "yes" if won else "",
                    "admin_link": admin_link(lead),
                },
                lead=lead,
            )
        ]
    )


def _owner_name(lead):
    from .services import person_name

    return person_name(lead.owner, "nobody yet")


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
