"""The refresher reminders' emails: their kinds and placeholders, and queueing one reminder (the
holder's email and the original booker's) through the outbox in the caller's transaction. Each
has a unique key per certificate and window, so it is sent at most once. Who is reminded, and
when, is decided in services/reminders.py.
"""

from django.conf import settings

from booking import notifications
from core.templatetags.uk import uk_date, uk_span
from outbox import registry
from outbox.services import Email

from . import links
from .selectors import book_url, course_url, enquiry_url

REMINDER = {
    "delegate_name": "The certificate holder's name",
    "course": "The course on the certificate",
    "certificate_number": "The certificate number, for example 7K3M-9QXP-2H4D",
    "expires_on": "The date the certificate expires",
    "time_left": 'How long until then: "in 60 days", "tomorrow" or "today"',
    "refresher_course": "The course that renews it (the refresher course, or the same course)",
    "upcoming_sessions": "Upcoming dates of that course with seats left, one a line, each with its booking "
    "link (blank if there are none)",
    "course_link": "The page of the course that renews it, with all its dates",
    "enquiry_link": "The page to ask about training at the organisation's own site",
}
KINDS = {
    "refresher_reminder": ("Refresher reminder, before a certificate expires (delegate)", REMINDER),
    "refresher_reminder_booker": (
        "Refresher reminder, before a delegate's certificate expires (booker)",
        {
            **REMINDER,
            "booker_name": "The original booker's name",
            "organisation": "The booker's organisation",
            "training_record_url": "The booker's private link to their organisation's training record",
        },
    ),
}

for _name, (_label, _placeholders) in KINDS.items():
    registry.register(_name, _label, _placeholders)


def time_left_text(days):
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def seats_text(seats):
    return f"{seats} seat{'s' if seats != 1 else ''} left"


def when_text(session):
    """ "Tue 3 March 2026, 09:30-16:30", or "Tue 3 March 2026 (3 days)" for a longer course."""
    days = list(session.days.all())
    if len(days) == 1:
        return uk_span(days[0].starts_at, days[0].ends_at)
    return f"{uk_date(session.starts_at)} ({len(days)} days)"


def session_offers(sessions, delegate, *, with_contact):
    """Each session as the email shows it, with a booking link pre-filled with `delegate` and
    their organisation (and its booker `with_contact`); the plain form without a delegate."""
    return [
        {
            "when": when_text(session),
            "where": "Online (virtual classroom)" if session.venue.is_online else str(session.venue),
            "seats": seats_text(session.seats_remaining),
            "url": book_url(session, delegate, with_contact=with_contact),
        }
        for session in sessions
    ]


def offers_text(offers):
    return "\n".join(f"{o['when']}, {o['where']}: {o['seats']}. Book: {o['url']}" for o in offers)


def queue_refresher_reminder(certificate, *, window, days_left, course, sessions):
    """The holder's reminder for the window (60, 14 ... days before) and, when we know who booked
    them (and it was not themselves), the booker's. `course` and `sessions` are what renews the
    certificate (services/reminders.py). Returns the number of emails queued."""
    if notifications.is_suppressed():
        return 0
    delegate = certificate.delegate
    booking = delegate.booking if delegate else None
    common = {
        "delegate_name": certificate.holder_name,
        "course": certificate.course_title,
        "certificate_number": certificate.number,
        "expires_on": uk_date(certificate.expires_on),
        "time_left": time_left_text(days_left),
        "refresher_course": course.title,
        "course_link": course_url(course),
        "enquiry_link": enquiry_url(),
    }
    key = f"{certificate.number}:{window}"
    # The holder books for themselves or passes it on: their form is not filled in as the booker.
    mine = session_offers(sessions, delegate, with_contact=False)
    out = [
        Email(
            kind="refresher_reminder",
            to=[certificate.holder_email],
            unique_key=f"refresher_reminder:{key}",
            placeholders={**common, "upcoming_sessions": offers_text(mine)},
            html_context={"sessions": mine},
            booking=booking,
            reply_to=[settings.PROVIDER["email"]],
        )
    ]
    if booking is not None and booking.contact_email.casefold() != certificate.holder_email.casefold():
        theirs = session_offers(sessions, delegate, with_contact=True)
        out.append(
            Email(
                kind="refresher_reminder_booker",
                to=[booking.contact_email],
                unique_key=f"refresher_reminder_booker:{key}",
                placeholders={
                    **common,
                    "upcoming_sessions": offers_text(theirs),
                    "booker_name": booking.contact_name,
                    "organisation": booking.organisation,
                    "training_record_url": links.training_record_url(booking),
                },
                html_context={"sessions": theirs},
                booking=booking,
                reply_to=[settings.PROVIDER["email"]],
            )
        )
    notifications.queue(out)
    return len(out)
