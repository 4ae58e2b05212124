"""Booking emails: their kinds and placeholders, and the values those placeholders take.

The wording lives in templates/emails/<kind>/ (subject.txt, body.txt, body.html) or, when an
administrator has written their own, in the admin (outbox.EmailTemplate).
"""

from django.conf import settings
from django.utils import timezone

from core.templatetags.uk import gbp, uk_date, uk_datetime, uk_span
from outbox import registry

from .links import manage_url
from .models import BookingStatus

BOOKING = {
    "reference": "The booking reference, for example K7PX3M9Q",
    "course": "The course title",
    "dates": "Each day of the session with its times, one a line",
    "first_day": "The first day's date, for example Tue 3 March 2026",
    "venue": "The venue's name and address, or 'Online (virtual classroom)'",
    "venue_notes": "Access and parking notes for the venue",
    "organisation": "The booker's organisation",
    "booker_name": "The booker's name",
    "manage_link": "The booker's link to see and change the booking",
}
DELEGATE = {
    "delegate_name": "The delegate's name",
    "joining_link": "The virtual classroom link (online sessions only)",
    "joining_instructions": "The session's joining instructions",
    "adjustments": "The delegate's access needs, as given",
}
MONEY = {
    "delegates": "The delegates, one a line",
    "delegate_count": "How many delegates",
    "price_per_delegate": "Price per delegate excluding VAT",
    "total_net": "Total excluding VAT",
    "vat": "VAT at 20%",
    "total_gross": "Total including VAT",
    "po_line": "The purchase order number, or 'PO to follow' with its deadline",
    "status_line": "What the booking's status means for the booker",
    "cancellation_terms": "The cancellation terms",
}
_manage = {"manage_link": BOOKING["manage_link"]}
_booking_only = {k: v for k, v in BOOKING.items() if k != "manage_link"}

KINDS = {
    "booking_confirmation": ("Booking confirmation (booker)", {**BOOKING, **MONEY}),
    "joining_instructions": ("Joining instructions with calendar invite (delegate)", {**_booking_only, **DELEGATE}),
    "delegate_reminder": (
        "Reminder before the course (delegate)",
        {**_booking_only, **DELEGATE, "days_before": "How long until the course, e.g. '3 days'"},
    ),
    "session_changed": (
        "Session moved or venue changed (delegate, updated invite)",
        {
            **_booking_only,
            **DELEGATE,
            "previous_dates": "The dates before the change",
            "previous_venue": "The venue before the change",
        },
    ),
    "session_changed_booker": (
        "Session moved or venue changed (booker)",
        {
            **BOOKING,
            "delegates": MONEY["delegates"],
            "previous_dates": "The dates before the change",
            "previous_venue": "The venue before the change",
        },
    ),
    "session_cancelled": (
        "Session cancelled (delegate, cancels the invite)",
        {**_booking_only, "delegate_name": DELEGATE["delegate_name"], "reason": "Why the session was cancelled"},
    ),
    "session_cancelled_booker": (
        "Session cancelled (booker)",
        {**_booking_only, "delegates": MONEY["delegates"], "reason": "Why the session was cancelled"},
    ),
    "delegate_cancelled": (
        "Place cancelled or given to someone else (delegate, cancels the invite)",
        {**_booking_only, "delegate_name": DELEGATE["delegate_name"]},
    ),
    "booking_cancelled": (
        "Booking cancelled (booker)",
        {**BOOKING, "delegates": MONEY["delegates"], "reason": "The reason given, if any"},
    ),
    "waitlist_joined": (
        "On the waiting list (booker)",
        {**BOOKING, "delegates": MONEY["delegates"], "delegate_count": MONEY["delegate_count"]},
    ),
    "waitlist_promoted": ("A place is yours: promoted from the waiting list (booker)", {**BOOKING, **MONEY}),
    "po_reminder": (
        "Purchase order reminder (booker)",
        {
            **BOOKING,
            "po_deadline": "When the places are released without a PO",
            "days_left": "How long until the deadline, e.g. '3 days' or '1 day'",
            "delegate_count": MONEY["delegate_count"],
        },
    ),
    "po_released": (
        "Places released: no purchase order (booker)",
        {**BOOKING, "delegates": MONEY["delegates"]},
    ),
}

for _name, (_label, _placeholders) in KINDS.items():
    registry.register(_name, _label, _placeholders)


CANCELLATION_TERMS = (
    "You can cancel, substitute or add delegates free of charge through your manage link until booking "
    "closes, 24 hours before the start. After that, please call us."
)


def _venue(session):
    venue = session.venue
    if venue.is_online:
        return "Online (virtual classroom)"
    lines = [
        venue.name,
        *[line.strip() for line in venue.address.splitlines() if line.strip()],
        f"{venue.town} {venue.postcode}".strip(),
    ]
    return "\n".join(line for line in lines if line)


def _venue_notes(session):
    venue = session.venue
    return "\n".join(note for note in [venue.access_notes.strip(), venue.parking_notes.strip()] if note)


def dates_text(days):
    return "\n".join(uk_span(start, end) for start, end in days)


def session_days(session):
    return [(day.starts_at, day.ends_at) for day in session.days.all()]


def booking_placeholders(booking):
    session = booking.session
    totals = booking.totals()
    if booking.purchase_order:
        po_line = f"Purchase order: {booking.purchase_order}"
    elif booking.po_deadline:
        po_line = f"PO to follow: please add your purchase order number by {uk_datetime(booking.po_deadline)}"
    else:
        po_line = "PO to follow"
    status_line = {
        BookingStatus.CONFIRMED: "Your booking is confirmed.",
        BookingStatus.AWAITING_PO: "Your places are held while we wait for your purchase order.",
        BookingStatus.WAITLISTED: "You are on the waiting list: no places are held yet.",
        BookingStatus.CANCELLED: "This booking is cancelled.",
    }[booking.status]
    delegates = list(booking.delegates.all())
    return {
        "reference": booking.reference,
        "course": session.course.title,
        "dates": dates_text(session_days(session)),
        "first_day": uk_date(session.starts_at),
        "venue": _venue(session),
        "venue_notes": _venue_notes(session),
        "organisation": booking.organisation,
        "booker_name": booking.contact_name,
        "manage_link": manage_url(booking),
        "delegates": "\n".join(f"{d.name} ({d.email})" for d in delegates),
        "delegate_count": str(len(delegates)),
        "price_per_delegate": gbp(booking.price_per_delegate),
        "total_net": gbp(totals["net"]),
        "vat": gbp(totals["vat"]),
        "total_gross": gbp(totals["gross"]),
        "po_line": po_line,
        "status_line": status_line,
        "cancellation_terms": CANCELLATION_TERMS,
        "po_deadline": uk_datetime(booking.po_deadline) if booking.po_deadline else "",
        "joining_instructions": session.joining_instructions,
        "joining_link": session.venue.joining_link if session.venue.is_online else "",
    }


def delegate_placeholders(booking, *, name, adjustments=""):
    return {**booking_placeholders(booking), "delegate_name": name, "adjustments": adjustments}


def days_until(moment, now=None):
    now = now or timezone.now()
    return max((timezone.localtime(moment).date() - timezone.localtime(now).date()).days, 0)


def days_text(days):
    return f"{days} day{'s' if days != 1 else ''}"


def reply_to():
    return [settings.PROVIDER["email"]]
