"""Booking emails: their kinds and placeholders, and the values those placeholders take.

The wording lives in templates/emails/<kind>/ (subject.txt, body.txt, body.html) or, when an
administrator has written their own, in the admin (outbox.EmailTemplate).
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.templatetags.uk import gbp, uk_date, uk_datetime, uk_span, vat_percent
from outbox import registry

from .links import manage_url, mask_tokens
from .models import BookingStatus, SessionStatus

BOOKING = {
    "reference": "The booking reference, for example K7PX3M9Q",
    "course": "The course title",
    "dates": "Each day of the session with its times, one a line",
    "first_day": "The first day's date, for example Tue 3 March 2026",
    "venue": "The venue's name and address, or 'Online (virtual classroom)'",
    "online": "'yes' when the session is a virtual classroom, empty otherwise",
    "venue_notes": "Access and parking notes for the venue (empty for online sessions)",
    "joining_link": "The virtual classroom link (online sessions only)",
    "organisation": "The booker's organisation",
    "booker_name": "The booker's name",
    "total_line": "The booking's current total: delegates, price, VAT and total including VAT",
    "new_link_url": "The page where the booker can ask for a new manage link",
    "in_house": "'yes' for an in-house course (run for one organisation at its own site; its staff register "
    "themselves from a private link), empty otherwise",
}
DELEGATE = {
    "delegate_name": "The delegate's name",
    "joining_instructions": "The session's joining instructions",
    "adjustments": "The delegate's access needs, as the booker typed them",
}
MONEY = {
    "delegates": "The delegates, one a line",
    "delegate_count": "How many delegates",
    "price_per_delegate": "Price per delegate excluding VAT",
    "total_net": "Total excluding VAT",
    "vat": "The VAT amount",
    "vat_rate": "The VAT rate, for example 20%",
    "total_gross": "Total including VAT",
    "po_line": "The purchase order number, or 'PO to follow' with its deadline",
    "status_line": "What the booking's status means for the booker",
    "cancellation_terms": "The cancellation terms",
}
MANAGE = {"manage_link": "The booker's private link to see and change the booking (revoked when a new one is sent)"}
OTHER_DATES = {
    "course_link": "The course's page, with its upcoming dates",
    "other_dates": "Other upcoming dates of the course that take bookings, one a line",
}
CALENDAR_DAY = {
    "day_number": "Which day of the course this invite is for, for example 2",
    "day_count": "How many days the course has",
    "day": "That day's date and times",
}
FURTHER_DAYS = {
    "further_days": "For a course of more than one day: which day this email's invite is for, and that each "
    "further day comes in an email of its own (empty for a one-day course)",
}
IN_HOUSE = {
    "trainer": "The trainer's name, or 'to be confirmed'",
    "capacity": "How many places the course has",
    "agreed_price": "The agreed price, one line each: description, quantity × unit price = amount",
    "registration_link": "The private registration link the coordinator shares with their staff",
    "register_closes": "When registration closes (booking close), for example Mon 2 March 2026, 09:30",
}
CHANGE = {
    "what_changed": "What changed, in a sentence: the dates, the venue or both",
    "previous_dates": "The dates before the change (empty when the dates did not change)",
    "previous_venue": "The venue before the change (empty when the venue did not change)",
}

KINDS = {
    # Sent to an address nobody has proven yet: it repeats nothing the sender typed (names,
    # organisation), so the site cannot carry someone's text to a stranger.
    "booking_email_confirm": (
        "Confirm the email address to keep the places: sent before anything else (booker)",
        {
            **{k: v for k, v in BOOKING.items() if k not in ("booker_name", "organisation")},
            "delegate_count": MONEY["delegate_count"],
            "status_line": MONEY["status_line"],
            "confirm_link": "The link that confirms the booking",
            "confirm_by": "When the held places are released without confirmation",
            "confirm_within": "How long the booker has to confirm, e.g. '30 minutes'",
        },
    ),
    "booking_confirmation": ("Booking confirmation, for finance (booker)", {**BOOKING, **MONEY}),
    "booking_manage_link": ("Private link to manage the booking (booker)", {**BOOKING, **MANAGE}),
    "booking_changed": (
        "Delegates changed: new list and total (booker)",
        {
            **BOOKING,
            **MONEY,
            "change": "What changed, one line each",
            "delegates_note": "Who among the delegates hears from us about the change, and when",
        },
    ),
    "joining_instructions": (
        "Joining instructions with calendar invite (delegate)",
        {**BOOKING, **DELEGATE, **FURTHER_DAYS},
    ),
    "calendar_day": (
        "Calendar invite for one more day of a multi-day course (delegate)",
        {**BOOKING, **DELEGATE, **CALENDAR_DAY},
    ),
    "calendar_day_cancelled": (
        "Calendar cancellation for one day of a multi-day course (delegate)",
        {**BOOKING, **DELEGATE, **CALENDAR_DAY},
    ),
    "delegate_reminder": (
        "Reminder before the course (delegate)",
        {**BOOKING, **DELEGATE, "days_before": "How long until the course, e.g. '3 days'"},
    ),
    "session_changed": (
        "Session moved or venue changed (delegate, updated invite)",
        {**BOOKING, **DELEGATE, **CHANGE, **FURTHER_DAYS},
    ),
    "session_changed_booker": (
        "Session moved or venue changed (booker)",
        {**BOOKING, "delegates": MONEY["delegates"], **CHANGE},
    ),
    "session_cancelled": (
        "Session cancelled (delegate, cancels the invite)",
        {
            **BOOKING,
            **FURTHER_DAYS,
            "delegate_name": DELEGATE["delegate_name"],
            "reason": "Why the session was cancelled",
        },
    ),
    "session_cancelled_booker": (
        "Session cancelled (booker)",
        {**BOOKING, **OTHER_DATES, "delegates": MONEY["delegates"], "reason": "Why the session was cancelled"},
    ),
    "delegate_cancelled": (
        "Place cancelled (delegate, cancels the invite)",
        {**BOOKING, **FURTHER_DAYS, "delegate_name": DELEGATE["delegate_name"]},
    ),
    "delegate_substituted": (
        "Place passed to a colleague (delegate, cancels the invite)",
        {**BOOKING, **FURTHER_DAYS, "delegate_name": DELEGATE["delegate_name"]},
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
            **MANAGE,
            "po_deadline": "When the places are released without a PO",
            "days_left": "How long until the deadline, never rounded up, e.g. '2 days' or '20 hours'",
            "delegate_count": MONEY["delegate_count"],
        },
    ),
    "po_released": (
        "Places released: no purchase order (booker)",
        {**BOOKING, **OTHER_DATES, "delegates": MONEY["delegates"]},
    ),
    # In-house: the coordinator (the host booking's booker) instead of the public confirmation.
    "in_house_confirmation": (
        "In-house course booked: the registration link to share and the private register link (booker)",
        {
            **BOOKING,
            **IN_HOUSE,
            **MANAGE,
            **{name: MONEY[name] for name in ("total_net", "vat", "vat_rate", "total_gross", "po_line", "status_line")},
        },
    ),
    "in_house_registration_link": (
        "In-house course: a new registration link, the old one revoked (booker)",
        {
            **BOOKING,
            "registration_link": IN_HOUSE["registration_link"],
            "register_closes": IN_HOUSE["register_closes"],
        },
    ),
    "in_house_register_changed": (
        "In-house course: people removed or substituted on the register (booker)",
        {
            **BOOKING,
            "capacity": IN_HOUSE["capacity"],
            "registration_link": IN_HOUSE["registration_link"],
            "delegates": "The people registered, one a line",
            "delegate_count": "How many people are registered",
            "places_left": "How many places are left, for example '3 places left' or 'No places left'",
            "change": "What changed, one line each",
        },
    ),
}

for _name, (_label, _placeholders) in KINDS.items():
    registry.register(_name, _label, _placeholders)
registry.register_mask(mask_tokens)  # staff without booking rights read emails without the links


def cancellation_terms(session):
    return (
        "You can cancel, substitute or add delegates free of charge through the private manage link we emailed "
        "you until booking "
        f"closes on {uk_datetime(session.booking_closes_at)}. After that, please call us."
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
    if venue.is_online:
        return ""
    return "\n".join(note for note in [venue.access_notes.strip(), venue.parking_notes.strip()] if note)


def dates_text(days):
    return "\n".join(uk_span(start, end) for start, end in days)


def session_days(session):
    return [(day.starts_at, day.ends_at) for day in session.days.all()]


def total_line(booking, totals=None):
    """The booking's current total as one line, for every email to the booker."""
    totals = totals or booking.totals()
    if booking.agreed_lines:
        # A price agreed as a whole (in-house): it does not change with the number of delegates.
        sum_text = (
            f"agreed price {gbp(totals['net'])} + VAT {gbp(totals['vat'])} = {gbp(totals['gross'])} including VAT"
        )
    else:
        sum_text = (
            f"{totals['delegates']} delegate{'s' if totals['delegates'] != 1 else ''} × "
            f"{gbp(booking.price_per_delegate)} = {gbp(totals['net'])} + VAT {gbp(totals['vat'])} = "
            f"{gbp(totals['gross'])} including VAT"
        )
    if booking.status == BookingStatus.CANCELLED:
        return "Nothing to pay: this booking is cancelled."
    if booking.status == BookingStatus.WAITLISTED:
        return f"Nothing to pay while you are on the waiting list. If the places become yours: {sum_text}."
    return f"Total: {sum_text}."


def po_due(booking):
    """When the booker is asked to send the PO by: a public booking's hold deadline. An in-house
    booking holds nothing for want of its PO (nobody else could take the places), so it has no
    deadline; it is asked for by the date the same rule gives from when it was booked, and chased
    to it (booking/reminders.py), but nothing is released then."""
    if booking.po_deadline or booking.status != BookingStatus.AWAITING_PO or not booking.session.is_in_house:
        return booking.po_deadline
    from .services.seats import po_deadline  # the services send emails: imported when needed

    return po_deadline(booking.session, booking.created_at)


def booking_placeholders(booking):
    session = booking.session
    totals = booking.totals()
    due = po_due(booking)
    if booking.purchase_order:
        po_line = f"Purchase order: {booking.purchase_order}"
    elif due:
        po_line = f"PO to follow: please add your purchase order number by {uk_datetime(due)}"
    else:
        po_line = "PO to follow"
    status_line = {
        BookingStatus.UNCONFIRMED: "Your places are held for a short time while you confirm your email address.",
        BookingStatus.CONFIRMED: "Your booking is confirmed.",
        BookingStatus.AWAITING_PO: "Your places are held while we wait for your purchase order.",
        BookingStatus.WAITLISTED: "You are on the waiting list: no places are held yet.",
        BookingStatus.CANCELLED: "This booking is cancelled.",
    }[booking.status]
    if session.is_in_house and booking.status == BookingStatus.AWAITING_PO:
        status_line = "Your course is booked. We are waiting for your purchase order number, so that we can invoice."
    delegates = list(booking.delegates.all())
    return {
        "reference": booking.reference,
        "course": session.course.title,
        "dates": dates_text(session_days(session)),
        "first_day": uk_date(session.starts_at),
        "venue": _venue(session),
        "online": "yes" if session.venue.is_online else "",
        "venue_notes": _venue_notes(session),
        "organisation": booking.organisation,
        "booker_name": booking.contact_name,
        "manage_link": manage_url(booking),
        "new_link_url": settings.SITE_URL + reverse("booking:new_link"),
        "delegates": "\n".join(f"{d.name} ({d.email})" for d in delegates),
        "delegate_count": str(len(delegates)),
        "price_per_delegate": gbp(booking.price_per_delegate),
        "total_net": gbp(totals["net"]),
        "vat": gbp(totals["vat"]),
        "vat_rate": vat_percent(),
        "total_gross": gbp(totals["gross"]),
        "total_line": total_line(booking, totals),
        "po_line": po_line,
        "status_line": status_line,
        "cancellation_terms": cancellation_terms(session),
        "po_deadline": uk_datetime(due) if due else "",
        "joining_instructions": session.joining_instructions,
        "joining_link": session.venue.joining_link if session.venue.is_online else "",
        "in_house": "yes" if session.is_in_house else "",
    }


def other_dates_placeholders(session, *, limit=5):
    """The course's page and its other upcoming dates that take bookings, for emails that take
    a place away (course cancelled, places released)."""
    from .selectors import session_list_upcoming

    if session.is_in_house:
        # An in-house course is agreed with one organisation: no public dates to offer instead.
        return {"course_link": settings.SITE_URL + session.course.get_absolute_url(), "other_dates": ""}
    others = (
        session_list_upcoming(course=session.course.slug)
        .filter(status=SessionStatus.SCHEDULED, booking_closes_at__gt=timezone.now())
        .exclude(pk=session.pk)[:limit]
    )
    lines = []
    for other in others:
        seats = other.seats_remaining
        where = "Online" if other.venue.is_online else other.venue.town
        lines.append(
            f"{uk_date(other.starts_at)}, {where}: "
            + (f"{seats} seat{'s' if seats != 1 else ''} left" if seats > 0 else "fully booked, waiting list open")
        )
    return {
        "course_link": settings.SITE_URL + session.course.get_absolute_url() + "#dates",
        "other_dates": "\n".join(lines),
    }


def delegate_placeholders(booking, *, name, adjustments=""):
    return {**booking_placeholders(booking), "delegate_name": name, "adjustments": adjustments}


def time_left_text(remaining):
    """How long is left, never rounded up: "2 days" for 2 days 23 hours, "20 hours", "45 minutes"."""
    seconds = max(int(remaining.total_seconds()), 0)
    days, hours, minutes = seconds // 86400, seconds // 3600, seconds // 60
    if days:
        return days_text(days)
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def further_days_text(day_count, method):
    """For a course of several days, what this email's invite covers and where the others are."""
    if day_count < 2:
        return ""
    if day_count == 2:
        if method == "CANCEL":
            return "This email removes day 1 of 2; day 2 is removed by a short email of its own."
        return (
            "The invite in this email is for day 1 of 2. Day 2 comes in a short email of its own with its own "
            "invite, so that every calendar, Outlook included, shows both days."
        )
    others = ", ".join(str(n) for n in range(2, day_count)) + f" and {day_count}"
    if method == "CANCEL":
        return f"This email removes day 1 of {day_count}; days {others} are each removed by a short email of their own."
    return (
        f"The invite in this email is for day 1 of {day_count}. Days {others} each come in a short email of their "
        "own, each with its own invite, so that every calendar, Outlook included, shows all the days."
    )


def days_until(moment, now=None):
    now = now or timezone.now()
    return max((timezone.localtime(moment).date() - timezone.localtime(now).date()).days, 0)


def days_text(days):
    return f"{days} day{'s' if days != 1 else ''}"


def reply_to():
    return [settings.PROVIDER["email"]]
