"""Quote emails, queued in the outbox inside the caller's transaction: the quote to the client
(with its PDF by reference and the signed link), and on acceptance a record to the person who
accepted and a note to the lead's owner."""

from django.conf import settings
from django.urls import reverse

from core.templatetags.uk import gbp, uk_datetime, vat_percent
from enquiries.services import is_active_seller, person_name
from outbox.registry import document_attachment
from outbox.services import Email, email_queue_many

from . import display, documents, links


def admin_link(quote):
    return settings.SITE_URL + reverse("admin:quotes_quote_change", args=[quote.pk])


def _quote_placeholders(quote):
    totals = quote.totals()
    percent = f"{(quote.vat_rate * 100).normalize():f}%" if quote.vat_rate is not None else vat_percent()
    return {
        "quote_number": quote.number,
        "quote_version": str(quote.version),
        "organisation": quote.organisation,
        "course": quote.course.title,
        "group_size": display.group_text(quote),
        "site": display.site_text(quote),
        "total_net": gbp(totals["net"]),
        "vat_rate": percent,
        "vat": gbp(totals["vat"]),
        "total_gross": gbp(totals["gross"]),
    }


def quote_sent(quote, *, replaced=()):
    """The quote to the client, its PDF attached; once per version."""
    replaces = ""
    if replaced:
        versions = " and ".join(f"version {other.version}" for other in replaced)
        replaces = f"This is version {quote.version} of the quote: it replaces {versions}, which no longer applies."
    email_queue_many(
        [
            Email(
                kind="quote_sent",
                to=[quote.contact_email],
                unique_key=f"quote_sent:quote-{quote.pk}",
                placeholders={
                    **_quote_placeholders(quote),
                    "name": quote.contact_name,
                    "proposed_dates": display.proposed_dates_text(quote),
                    "valid_until": quote.valid_until_text,
                    "quote_link": links.quote_url(quote),
                    "sender": person_name(quote.sent_by, "The sales team"),
                    "replaces_note": replaces,
                },
                attachments=[
                    document_attachment(f"quote:{quote.pk}", documents.quote_filename(quote)),
                ],
                lead=quote.lead,
                reply_to=[quote.sent_by.email if quote.sent_by and quote.sent_by.email else settings.SALES_EMAIL],
            )
        ]
    )


def _next_steps_for_client(quote):
    if quote.host_booking_id:
        steps = (
            f"We have booked your course. {quote.accepted_by_name} will receive a separate email with a private "
            f"link to share with your staff: each person registers themselves, up to {quote.delegates}, and "
            "receives joining instructions and a calendar invite."
        )
    else:
        steps = (
            "We will call you within two working days to agree the date. Once the course is booked, you will "
            "receive a private link to share with your staff so that each person can register."
        )
    if quote.po_to_follow:
        steps += " Please send us your purchase order number when you have it: we invoice against it."
    return steps


def _next_steps_for_owner(quote):
    if quote.host_booking_id:
        session = quote.host_booking.session
        trainer = f" with {session.trainer.name}" if session.trainer_id else " (no trainer yet: assign one)"
        return (
            f"The in-house session is scheduled{trainer}, and {quote.accepted_by_name} has been sent the "
            f"registration link (booking {quote.host_booking.reference})."
        )
    return (
        "The dates are to be agreed: call them to agree a date, then schedule the course from the quote's page. "
        "We told them to expect a call within two working days."
    )


def quote_accepted(quote):
    """A record for the person who accepted, and a note to the lead's owner (or the sales inbox
    when nobody active owns the lead)."""
    lead = quote.lead
    base = {
        **_quote_placeholders(quote),
        "chosen_date": display.chosen_date_text(quote),
        "po_line": display.po_text(quote),
    }
    owner = lead.owner if is_active_seller(lead.owner) and lead.owner.email else None
    who = quote.accepted_by_name + (f", {quote.accepted_by_job_title}" if quote.accepted_by_job_title else "")
    email_queue_many(
        [
            Email(
                kind="quote_acceptance_receipt",
                to=[quote.accepted_by_email],
                unique_key=f"quote_acceptance_receipt:quote-{quote.pk}",
                placeholders={
                    **base,
                    "name": quote.accepted_by_name,
                    "accepted_at": uk_datetime(quote.accepted_at),
                    "next_steps": _next_steps_for_client(quote),
                    "quote_link": links.quote_url(quote),
                },
                lead=lead,
                reply_to=[owner.email if owner else settings.SALES_EMAIL],
            ),
            Email(
                kind="quote_accepted",
                to=[owner.email if owner else settings.SALES_EMAIL],
                unique_key=f"quote_accepted:quote-{quote.pk}",
                placeholders={
                    **base,
                    "owner": person_name(owner) if owner else "sales team",
                    "accepted_by": f"{who} ({quote.accepted_by_email})",
                    "next_steps": _next_steps_for_owner(quote),
                    "admin_link": admin_link(quote),
                },
                lead=lead,
                reply_to=[quote.accepted_by_email],
            ),
        ]
    )
