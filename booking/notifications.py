"""Who hears about each booking event, and what they get.

Every booking service records a BookingEvent and passes it to booking_event() inside its
transaction; the emails become outbox rows in that same transaction and are sent after commit.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils import timezone

from core.templatetags.uk import uk_datetime, uk_span
from outbox.services import Email, email_queue_many

from .calendar import PendingInvite, number_invites, session_spans
from .emails import (
    booking_placeholders,
    further_days_text,
    other_dates_placeholders,
    reply_to,
)
from .in_house_text import in_house_placeholders, places_left_text
from .links import confirm_url
from .models import DELEGATES_INFORMED, SEAT_HOLDING, Booking, BookingEvent, BookingStatus

_suppressed = ContextVar("booking_notifications_suppressed", default=False)
_batch = ContextVar("booking_notifications_batch", default=None)


@contextmanager
def suppressed():
    """No emails for what happens inside (the demo data loader)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def is_suppressed():
    """Whether emails are off here (inside suppressed()); other rooms' booking emails obey it too."""
    return _suppressed.get()


def queue(emails):
    """Queue emails about bookings, joining the current batch() if there is one (one insert)."""
    _queue(emails)


@contextmanager
def batch():
    """Collect the emails of many events and write them in one bulk insert at the end."""
    if _batch.get() is not None:
        yield
        return
    collected = _Batch()
    token = _batch.set(collected)
    try:
        yield
    finally:
        _batch.reset(token)
    number_invites(collected.emails)
    email_queue_many(collected.emails)


@dataclass
class _Batch:
    emails: list = field(default_factory=list)
    other_dates: dict = field(default_factory=dict)  # session pk -> placeholders, read once


def _queue(emails):
    collected = _batch.get()
    if collected is not None:
        collected.emails.extend(emails)
    else:
        number_invites(emails)
        email_queue_many(emails)


def booking_event(event):
    if _suppressed.get():
        return
    _queue(emails_for_event(event))


class _Builder:
    def __init__(self, event):
        self.event = event
        self.booking = event.booking
        self.emails = []
        self._placeholders = None
        self._spans = None

    @property
    def placeholders(self):
        if self._placeholders is None:
            self._placeholders = booking_placeholders(self.booking)
        return self._placeholders

    @property
    def spans(self):
        if self._spans is None:
            self._spans = session_spans(self.booking.session)
        return self._spans

    def _email(self, kind, to, key, placeholders, attachments=()):
        self.emails.append(
            Email(
                kind=kind,
                to=[to],
                unique_key=key,
                placeholders=placeholders,
                attachments=list(attachments),
                booking=self.booking,
                reply_to=reply_to(),
            )
        )

    def to_booker(self, kind, **extra):
        key = f"{kind}:event-{self.event.pk}"
        self._email(kind, self.booking.contact_email, key, {**self.placeholders, **extra})

    def to_delegate(self, kind, *, name, email, adjustments="", method=None, **extra):
        """One email to a delegate. With a calendar `method`, it carries day 1's invite, and each
        further day of the course goes in a message of its own: Outlook reads one VEVENT a message."""
        session = self.booking.session
        placeholders = {**self.placeholders, "delegate_name": name, "adjustments": adjustments, **extra}
        key = f"{kind}:event-{self.event.pk}:{email.lower()}"
        if not method:
            self._email(kind, email, key, placeholders)
            return
        invites = [PendingInvite(session, email, name, method, n) for n in range(1, len(self.spans) + 1)]
        placeholders["further_days"] = further_days_text(len(self.spans), method)
        self._email(kind, email, key, placeholders, invites[:1])
        for invite in invites[1:]:
            self._day_email(invite, placeholders, self.spans)
        if method == "REQUEST" and self.event.data.get("previous_days"):
            self._dropped_days(name=name, email=email, placeholders=placeholders)

    def _day_email(self, invite, placeholders, spans):
        kind = "calendar_day" if invite.method == "REQUEST" else "calendar_day_cancelled"
        start, end = spans[invite.day_number - 1]
        day = {"day_number": str(invite.day_number), "day_count": str(len(spans)), "day": uk_span(start, end)}
        key = f"{kind}:event-{self.event.pk}:{invite.attendee_email.lower()}:day-{invite.day_number}"
        self._email(kind, invite.attendee_email, key, {**placeholders, **day}, [invite])

    def _dropped_days(self, *, name, email, placeholders):
        """The session now has fewer days: cancel the calendar entries of the days it no longer
        has. Day UIDs go by position, so the trailing positions are the ones left over."""
        previous = [
            (datetime.fromisoformat(start), datetime.fromisoformat(end))
            for start, end in self.event.data["previous_days"]
        ]
        for n in range(len(self.spans) + 1, len(previous) + 1):
            invite = PendingInvite(self.booking.session, email, name, "CANCEL", n, spans=previous)
            self._day_email(invite, placeholders, previous)

    def to_delegates(self, kind, *, method=None, **extra):
        for delegate in self.booking.delegates.all():
            self.to_delegate(
                kind, name=delegate.name, email=delegate.email, adjustments=delegate.adjustments, method=method, **extra
            )

    def invite(self, delegate):
        """Joining instructions with a calendar invite, to one delegate."""
        self.to_delegate(
            "joining_instructions",
            name=delegate.name,
            email=delegate.email,
            adjustments=delegate.adjustments,
            method="REQUEST",
        )


def _change_text(event):
    """What changed in the delegates, one line each, for the booker's notice (the history line
    may be cut short; this never is)."""
    K, data, booking = BookingEvent.Kind, event.data, event.booking
    by = "by our office" if str(event.actor).startswith("staff:") else ""
    if event.kind == K.DELEGATE_ADDED:
        added = {email.lower() for email in data.get("emails", [data.get("email", "")])}
        lines = [f"Added: {d.name} ({d.email})" for d in booking.delegates.all() if d.email.lower() in added]
    elif event.kind == K.DELEGATE_REMOVED:
        lines = [f"Removed: {data['name']} ({data['email']})"]
    else:
        old, new = data["old"], data["new"]
        lines = [f"Substituted: {new['name']} ({new['email']}) in place of {old['name']} ({old['email']})"]
    if by:
        lines = [f"{line}, {by}" for line in lines]
    return "\n".join(lines)


def _confirm_by(booking):
    minutes = max(int((booking.confirm_by - timezone.now()).total_seconds() // 60), 0)
    return {"confirm_by": uk_datetime(booking.confirm_by), "confirm_within": f"{minutes} minutes"}


def _delegates_note(booking):
    if booking.holds_seats:
        return (
            "Each new delegate receives their own joining instructions and a calendar invite by email, and anyone "
            "taken off the booking is told they no longer have a place."
        )
    return "Your booking is on the waiting list, so delegates hear from us only once the places are yours."


def _change_placeholders(data):
    """What a session change notice says changed: only what did."""
    dates_moved = data.get("dates_changed", True)
    venue_moved = data.get("venue_changed", True)
    what = {
        (True, True): "The dates and the venue have changed.",
        (True, False): "The dates or times have changed; the venue is the same.",
        (False, True): "The venue has changed; the dates and times are the same.",
    }.get((dates_moved, venue_moved), "The arrangements have changed.")
    return {
        "what_changed": what,
        "previous_dates": data.get("previous_dates", "") if dates_moved else "",
        "previous_venue": data.get("previous_venue", "") if venue_moved else "",
    }


# Who registered themselves from an in-house course's private link (booking.services.in_house):
# their coordinator sees the register on the manage page rather than an email per person.
SELF_REGISTRATION_ACTOR = "delegate"


def _delegates_changed(out, event):
    """The booker's notice of a change to the delegates: an in-house coordinator's register
    (no prices per delegate, nothing for a self-registration), else the public change notice."""
    booking = event.booking
    if not booking.session.is_in_house:
        out.to_booker("booking_changed", change=_change_text(event), delegates_note=_delegates_note(booking))
    elif not str(event.actor).startswith(SELF_REGISTRATION_ACTOR):
        taken = len(booking.delegates.all()) if booking.holds_seats else 0
        out.to_booker(
            "in_house_register_changed",
            change=_change_text(event),
            capacity=str(booking.session.capacity),
            places_left=places_left_text(max(booking.session.capacity - taken, 0)),
            registration_link=in_house_placeholders(booking)["registration_link"],
        )


def _confirmation(out, booking):
    """The booker's confirmation: an in-house coordinator's carries both the link to share and
    their own private register link, so it replaces the confirmation and the manage link email."""
    if booking.session.is_in_house:
        out.to_booker("in_house_confirmation", **in_house_placeholders(booking))
        return True
    out.to_booker("booking_confirmation")
    return False


def emails_for_event(event):
    K = BookingEvent.Kind
    out = _Builder(event)
    booking, data = event.booking, event.data
    had_seats = data.get("previous_status", booking.status) in SEAT_HOLDING

    if booking.awaits_email_confirmation:
        # Until the booker proves the address is theirs, it gets only the link to do so, and
        # no delegate hears anything: the site cannot be used to email strangers.
        if event.kind in (K.CREATED, K.WAITLISTED, K.LINK_REISSUED) and booking.is_active:
            # A new link asked for before confirming: the confirm link changed with it, so resend it.
            out.to_booker("booking_email_confirm", confirm_link=confirm_url(booking), **_confirm_by(booking))
        return out.emails

    if event.kind == K.CREATED or (event.kind == K.EMAIL_CONFIRMED and booking.holds_seats):
        if not _confirmation(out, booking):
            out.to_booker("booking_manage_link")
        out.to_delegates("joining_instructions", method="REQUEST")
    elif event.kind in (K.WAITLISTED, K.EMAIL_CONFIRMED):
        out.to_booker("waitlist_joined")
        out.to_booker("booking_manage_link")
    elif event.kind == K.PROMOTED:
        out.to_booker("waitlist_promoted")
        out.to_delegates("joining_instructions", method="REQUEST")
    elif event.kind == K.PO_ADDED:
        _confirmation(out, booking)
    elif event.kind == K.LINK_REISSUED:
        out.to_booker("booking_manage_link")
    elif event.kind == K.REGISTRATION_LINK_RENEWED:
        placeholders = in_house_placeholders(booking)
        out.to_booker(
            "in_house_registration_link",
            registration_link=placeholders["registration_link"],
            register_closes=placeholders["register_closes"],
        )
    elif event.kind == K.PO_EXPIRED:
        out.to_booker("po_released", **_other_dates(booking.session))
        out.to_delegates("delegate_cancelled", method="CANCEL")
    elif event.kind == K.DELEGATE_ADDED:
        _delegates_changed(out, event)
        if booking.holds_seats:
            added = {email.lower() for email in data.get("emails", [data.get("email", "")])}
            for delegate in booking.delegates.all():
                if delegate.email.lower() in added:
                    out.invite(delegate)
    elif event.kind == K.DELEGATE_REMOVED:
        _delegates_changed(out, event)
        if booking.holds_seats:
            out.to_delegate("delegate_cancelled", name=data["name"], email=data["email"], method="CANCEL")
    elif event.kind == K.DELEGATE_SUBSTITUTED:
        _delegates_changed(out, event)
        if booking.holds_seats:
            out.to_delegate(
                "delegate_substituted", name=data["old"]["name"], email=data["old"]["email"], method="CANCEL"
            )
            delegate = booking.delegates.filter(pk=data["delegate_id"]).first()
            if delegate:
                out.invite(delegate)
    elif event.kind == K.CANCELLED:
        out.to_booker("booking_cancelled", reason=booking.cancelled_reason)
        if had_seats:
            out.to_delegates("delegate_cancelled", method="CANCEL")
    elif event.kind == K.SESSION_CANCELLED:
        reason = booking.session.cancelled_reason
        out.to_booker("session_cancelled_booker", reason=reason, **_other_dates(booking.session))
        if had_seats:
            out.to_delegates("session_cancelled", method="CANCEL", reason=reason)
    elif event.kind == K.SESSION_CHANGED:
        changes = _change_placeholders(data)
        out.to_booker("session_changed_booker", **changes)
        if booking.holds_seats:
            out.to_delegates("session_changed", method="REQUEST", **changes)
    return out.emails


def _other_dates(session):
    """Other dates of the course, read once per session however many bookings a batch has."""
    collected = _batch.get()
    if collected is None:
        return other_dates_placeholders(session)
    if session.pk not in collected.other_dates:
        collected.other_dates[session.pk] = other_dates_placeholders(session)
    return collected.other_dates[session.pk]


def session_cancel_preview(sessions, reason=""):
    """What cancelling these sessions will send, for the office's confirmation page: how many
    bookers and delegates are emailed, and the booker's email as the first of them will read it."""
    from outbox import rendering

    bookings = Booking.objects.filter(session__in=sessions).exclude(status=BookingStatus.CANCELLED)
    delegates = bookings.filter(status__in=DELEGATES_INFORMED).aggregate(n=models.Count("delegates"))["n"]
    sample = (
        bookings.select_related("session__course", "session__venue")
        .prefetch_related("delegates", "session__days")
        .order_by("session__starts_at", "created_at")
        .first()
    )
    counts = [
        f"{len(bookings)} booking{'s' if len(bookings) != 1 else ''} will be cancelled: "
        f"{len(bookings)} booker{'s' if len(bookings) != 1 else ''} and {delegates} delegate{'s' if delegates != 1 else ''} "
        "with places will be emailed, and the delegates' calendar entries cancelled."
    ]
    preview = {"preview_title": "What will be sent", "preview_counts": counts}
    if sample is not None:
        placeholders = {
            **booking_placeholders(sample),
            **other_dates_placeholders(sample.session),
            "reason": reason,
        }
        subject, text, _html = rendering.render("session_cancelled_booker", placeholders)
        preview["preview_email"] = {"subject": subject, "text": text}
    else:
        preview["preview_counts"] = ["No one has booked: no emails will be sent."]
    return preview
