"""Every write that changes seats or a booking. The web forms, the API, the admin and the tasks
all call these functions, so each rule lives here once.

Seats are never trusted from a stored counter: each change locks the session row and counts
the delegates on seat-holding bookings inside the same transaction, so simultaneous requests on
PostgreSQL queue up behind one another instead of overselling.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, prefetch_related_objects
from django.db.models.functions import Lower
from django.utils import timezone

from core import business_hours

from . import notifications
from .models import (
    SEAT_HOLDING,
    Booking,
    BookingEvent,
    BookingStatus,
    CourseSession,
    Delegate,
    SessionDay,
    SessionStatus,
    new_manage_key,
    new_reference,
)


class BookingError(Exception):
    """A booking rule said no. `code` is stable for API clients; the message is for people."""

    code = "booking_error"

    def __init__(self, message, *, code=None, **extra):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra


class SessionNotBookable(BookingError):
    pass


class InsufficientSeats(BookingError):
    code = "insufficient_seats"

    def __init__(self, seats_remaining):
        if seats_remaining <= 0:
            message = "This session is fully booked. You can join the waiting list instead."
        else:
            message = (
                f"Only {seats_remaining} seat{'s' if seats_remaining != 1 else ''} left on this session. "
                "Book fewer delegates or join the waiting list."
            )
        super().__init__(message, seats_remaining=seats_remaining)
        self.seats_remaining = seats_remaining


class BookingNotChangeable(BookingError):
    code = "booking_not_changeable"


@dataclass
class DelegateData:
    name: str
    email: str
    job_role: str = ""
    adjustments: str = ""


# ---------------------------------------------------------------------------------------------
# Seats


def _lock_session(session_id):
    """Lock the session row for the rest of the transaction; returns the fresh row."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fail with an error rather than queue for ever behind a stuck transaction.
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(settings.BOOKING_LOCK_TIMEOUT_MS)}ms"])
    return CourseSession.objects.select_for_update().select_related("course", "venue").get(pk=session_id)


def seats_taken(session):
    """Delegates on confirmed and awaiting-PO bookings, counted from the bookings themselves."""
    return Delegate.objects.filter(booking__session=session, booking__status__in=SEAT_HOLDING).count()


def seats_remaining(session):
    return max(session.capacity - seats_taken(session), 0)


PO_MIN_HOLD = timedelta(hours=4)  # half a working day at least, when booking close allows it


def _po_deadline(session, now):
    """When "PO to follow" places are released: close of business (17:00 on a working day) at
    most PO_HOLD_DAYS from now and no later than booking close, so a finance team has working
    hours to act and the deadline never falls at night, at a weekend or on a bank holiday.

    When no close of business at least PO_MIN_HOLD away is left before booking closes, booking
    close itself; a booking
    promoted after booking has closed (an expired hold freed its seats) is held until the start.
    """
    limit = min(now + timedelta(days=settings.PO_HOLD_DAYS), session.booking_closes_at)
    deadline = business_hours.last_close_at_or_before(limit)
    if deadline >= now + PO_MIN_HOLD:
        return deadline
    # Booked late in the day with booking closing soon: minutes to 17:00 are no time to get a PO.
    return limit if limit > now else session.starts_at


def _record(booking, kind, description, *, actor, **data):
    if len(description) > 500:  # a long list of names: the start is enough for the history
        description = description[:497] + "..."
    event = BookingEvent.objects.create(booking=booking, kind=kind, description=description, actor=actor, data=data)
    notifications.booking_event(event)
    return event


def _check_delegate_emails(session, emails, *, exclude_booking=None):
    """One email at most once per session, across its active bookings."""
    lowered = [email.strip().lower() for email in emails]
    duplicates_here = sorted({email for email in lowered if lowered.count(email) > 1})
    if duplicates_here:
        raise ValidationError(
            {"delegates": f"Each delegate needs their own email address: {', '.join(duplicates_here)} appears twice."}
        )
    taken = (
        Delegate.objects.annotate(email_lower=Lower("email"))
        .filter(booking__session=session, email_lower__in=lowered)
        .exclude(booking__status=BookingStatus.CANCELLED)
    )
    if exclude_booking is not None:
        taken = taken.exclude(booking=exclude_booking)
    already = sorted(set(taken.values_list("email_lower", flat=True)))
    if already:
        raise ValidationError(
            {"delegates": f"Already booked on this session: {', '.join(already)}. Each person needs only one place."}
        )


def _validate_delegates(delegates):
    if not delegates:
        raise ValidationError({"delegates": "Add at least one delegate."})
    errors = {}
    rows = []
    for index, data in enumerate(delegates):
        delegate = Delegate(
            name=data.name.strip(), email=data.email.strip(), job_role=data.job_role, adjustments=data.adjustments
        )
        try:
            delegate.full_clean(exclude=["booking"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"delegates[{index}].{field}"] = messages
        rows.append(delegate)
    if errors:
        raise ValidationError(errors)
    return rows


# ---------------------------------------------------------------------------------------------
# Sessions


@transaction.atomic
def session_create(
    *, course, venue, days, capacity, price=None, booking_closes_at=None, trainer="", joining_instructions=""
):
    """Schedule a session. `days` is a list of (start, end) zone-aware datetimes, one per day."""
    if not days:
        raise ValidationError({"days": "A session needs at least one day."})
    days = sorted(days)
    session = CourseSession(
        course=course,
        venue=venue,
        starts_at=days[0][0],
        ends_at=days[-1][1],
        capacity=capacity,
        price=price,
        booking_closes_at=booking_closes_at,
        trainer=trainer,
        joining_instructions=joining_instructions,
    )
    if session.price is None:
        session.price = course.price
    if session.booking_closes_at is None:
        session.booking_closes_at = session.starts_at - settings.BOOKING_CLOSES_BEFORE_START
    session.full_clean()
    session.save()
    for start, end in days:
        day = SessionDay(session=session, starts_at=start, ends_at=end)
        day.full_clean(exclude=["session"])
        day.save()
    return session


def session_sync_span(session):
    """Keep the session's start and end in step with its days (after the admin edits days)."""
    days = list(session.days.order_by("starts_at"))
    if days:
        session.starts_at, session.ends_at = days[0].starts_at, days[-1].ends_at
        session.save(update_fields=["starts_at", "ends_at", "updated_at"])


@transaction.atomic
def session_change_capacity(*, session, capacity, actor="staff"):
    session = _lock_session(session.pk)
    taken = seats_taken(session)
    if capacity < taken:
        raise ValidationError({"capacity": f"{taken} seats are already booked; the capacity cannot go below that."})
    session.capacity = capacity
    session.full_clean()
    session.save(update_fields=["capacity", "updated_at"])
    waitlist_promote(session=session, actor=actor)
    return session


@transaction.atomic
def session_cancel(*, session, reason="", actor="staff"):
    """Cancel the session and every active booking on it."""
    session = _lock_session(session.pk)
    if session.is_cancelled:
        return session
    prefetch_related_objects([session], "days")  # read once for every email below
    session.status = SessionStatus.CANCELLED
    session.cancelled_reason = reason
    session.save(update_fields=["status", "cancelled_reason", "updated_at"])
    bookings = list(
        session.bookings.exclude(status=BookingStatus.CANCELLED).select_related("session").prefetch_related("delegates")
    )
    previous = {booking.pk: booking.status for booking in bookings}
    session.bookings.filter(pk__in=previous).update(
        status=BookingStatus.CANCELLED, cancelled_reason="The session was cancelled.", updated_at=timezone.now()
    )
    # Every delegate's notice is written in one bulk insert, in this transaction.
    with notifications.batch():
        for booking in bookings:
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_reason = "The session was cancelled."
            booking.session = session
            _record(
                booking,
                BookingEvent.Kind.SESSION_CANCELLED,
                f"Session cancelled{': ' + reason if reason else ''}.",
                actor=actor,
                previous_status=previous[booking.pk],
            )
    return session


def session_schedule(session):
    """What delegates' calendars depend on: the days and the venue."""
    return {
        "days": [(day.starts_at.isoformat(), day.ends_at.isoformat()) for day in session.days.all()],
        "venue_id": session.venue_id,
        "dates": _dates_text(session),
        "venue": str(session.venue),
    }


def _dates_text(session):
    from .emails import dates_text, session_days

    return dates_text(session_days(session))


@transaction.atomic
def session_schedule_changed(*, session, previous, actor="staff"):
    """After the days or venue of a session were edited: raise the invite sequence and tell
    everyone booked (updated invites to delegates, a notice to bookers). `previous` is
    session_schedule() taken before the edit. Returns True if anything had changed."""
    session = _lock_session(session.pk)
    if session.is_cancelled:
        return False
    prefetch_related_objects([session], "days")  # read once for every email below
    current = session_schedule(session)
    if (current["days"], current["venue_id"]) == (previous["days"], previous["venue_id"]):
        return False
    session.ics_sequence += 1
    session.save(update_fields=["ics_sequence", "updated_at"])
    what = []
    if current["days"] != previous["days"]:
        what.append("moved")
    if current["venue_id"] != previous["venue_id"]:
        what.append("venue changed")
    bookings = session.bookings.exclude(status=BookingStatus.CANCELLED).prefetch_related("delegates")
    with notifications.batch():
        for booking in bookings:
            booking.session = session
            _record(
                booking,
                BookingEvent.Kind.SESSION_CHANGED,
                f"Session {' and '.join(what)}: was {previous['dates']} at {previous['venue']}.",
                actor=actor,
                previous_dates=previous["dates"],
                previous_venue=previous["venue"],
                previous_days=previous["days"],
                dates_changed=current["days"] != previous["days"],
                venue_changed=current["venue_id"] != previous["venue_id"],
            )
    return True


# ---------------------------------------------------------------------------------------------
# Bookings


@transaction.atomic
def booking_create(
    *,
    session,
    organisation,
    organisation_type,
    contact_name,
    contact_email,
    contact_phone,
    invoice_address,
    delegates,
    accept_terms,
    ods_code="",
    job_title="",
    purchase_order="",
    po_to_follow=False,
    notes="",
    join_waitlist=False,
    actor="booker",
    email_confirmation=False,
):
    """Book places for all the delegates, or none. Returns the booking.

    With too few seats the booking joins the waiting list if `join_waitlist`, else
    InsufficientSeats is raised. Bookings with a PO are confirmed; "PO to follow" holds seats
    as awaiting PO until a deadline.

    With `email_confirmation` (the public site and API) the seats are only held, as
    unconfirmed, until the booker confirms their email address from a link
    (booking_confirm_email) within BOOKING_CONFIRM_MINUTES; a waiting-list booking waits for
    that too before it can be promoted. One booker or organisation may hold at most
    BOOKING_UNCONFIRMED_SEATS_MAX seats unconfirmed, and no delegate is emailed before then.
    """
    purchase_order = (purchase_order or "").strip()
    errors = {}
    if not accept_terms:
        errors["accept_terms"] = "Accept the booking terms to continue"
    if purchase_order and po_to_follow:
        errors["po_to_follow"] = "Give a purchase order number or choose 'PO to follow', not both."
    elif not purchase_order and not po_to_follow:
        errors["purchase_order"] = "Give a purchase order number, or choose 'PO to follow' if you will send it later."
    if errors:
        raise ValidationError(errors)
    rows = _validate_delegates(delegates)

    session = _lock_session(session.pk)
    reason = session.not_bookable_reason()
    if reason:
        raise SessionNotBookable(reason[1], code=reason[0])
    _check_delegate_emails(session, [row.email for row in rows])

    now = timezone.now()
    free = session.capacity - seats_taken(session)
    if len(rows) <= free:
        if email_confirmation:
            _check_unconfirmed_cap(contact_email, organisation, len(rows))
            status = BookingStatus.UNCONFIRMED
        else:
            status = BookingStatus.CONFIRMED if purchase_order else BookingStatus.AWAITING_PO
    elif join_waitlist:
        status = BookingStatus.WAITLISTED
    else:
        raise InsufficientSeats(max(free, 0))

    booking = Booking(
        session=session,
        status=status,
        organisation=organisation.strip(),
        organisation_type=organisation_type,
        ods_code=(ods_code or "").strip().upper(),
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone,
        job_title=job_title.strip(),
        invoice_address=invoice_address.strip(),
        purchase_order=purchase_order,
        po_to_follow=not purchase_order,
        po_deadline=_po_deadline(session, now) if status == BookingStatus.AWAITING_PO else None,
        confirm_by=now + timedelta(minutes=settings.BOOKING_CONFIRM_MINUTES) if email_confirmation else None,
        notes=notes.strip(),
        terms_accepted_at=now,
        terms_version=settings.BOOKING_TERMS_VERSION,
        price_per_delegate=session.price,
    )
    while Booking.objects.filter(reference=booking.reference).exists():  # rare: draw another
        booking.reference = new_reference()
    booking.full_clean()
    booking.save()
    for row in rows:
        row.booking = booking
    Delegate.objects.bulk_create(rows)
    # Sales staff see which of their leads turned into bookings.
    from enquiries.services import lead_link_booking

    lead_link_booking(booking=booking)
    names = ", ".join(row.name for row in rows)
    if status == BookingStatus.WAITLISTED:
        _record(
            booking,
            BookingEvent.Kind.WAITLISTED,
            f"Joined the waiting list for {len(rows)}: {names}.",
            actor=actor,
            email_confirmation=email_confirmation,
        )
    else:
        _record(
            booking,
            BookingEvent.Kind.CREATED,
            f"Booked {len(rows)} place{'s' if len(rows) != 1 else ''}: {names}.",
            actor=actor,
            status=status,
        )
    return booking


def _lock_booking(booking):
    """Lock the session (seats) then the booking, always in that order to avoid deadlocks."""
    session = _lock_session(booking.session_id)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    booking.session = session
    return booking


def _require_changeable(booking, *, by_staff, cancelling=False):
    if booking.status == BookingStatus.CANCELLED:
        raise BookingNotChangeable("This booking has been cancelled.", code="booking_cancelled")
    if booking.awaits_email_confirmation and not (by_staff or cancelling):
        raise BookingNotChangeable(
            "Confirm your email address first, from the email we sent you; then you can change the booking.",
            code="email_not_confirmed",
        )
    if by_staff:
        return
    reason = booking.session.not_bookable_reason()
    if reason:
        raise BookingNotChangeable(f"{reason[1]} Changes can no longer be made online; please call us.", code=reason[0])


@transaction.atomic
def booking_cancel(*, booking, reason="", actor="booker", by_staff=False):
    booking = _lock_booking(booking)
    _require_changeable(booking, by_staff=by_staff, cancelling=True)
    previous = booking.status
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_reason = reason
    booking.save(update_fields=["status", "cancelled_reason", "updated_at"])
    _record(
        booking,
        BookingEvent.Kind.CANCELLED,
        f"Booking cancelled{': ' + reason if reason else ''}.",
        actor=actor,
        previous_status=previous,
    )
    if previous in SEAT_HOLDING:
        waitlist_promote(session=booking.session, actor="system")
    return booking


@transaction.atomic
def booking_add_po(*, booking, purchase_order, actor="booker", by_staff=False):
    booking = _lock_booking(booking)
    if booking.status == BookingStatus.CANCELLED:
        raise BookingNotChangeable("This booking has been cancelled.", code="booking_cancelled")
    if booking.awaits_email_confirmation and not by_staff:
        _require_changeable(booking, by_staff=False)  # says: confirm your email first
    booking.purchase_order = (purchase_order or "").strip()
    booking.po_to_follow = False
    if not booking.purchase_order:
        raise ValidationError({"purchase_order": "Enter the purchase order number."})
    if booking.status == BookingStatus.AWAITING_PO:
        booking.status = BookingStatus.CONFIRMED
        booking.po_deadline = None
    booking.full_clean()
    booking.save(update_fields=["purchase_order", "po_to_follow", "status", "po_deadline", "updated_at"])
    _record(booking, BookingEvent.Kind.PO_ADDED, f"Purchase order {booking.purchase_order} added.", actor=actor)
    return booking


@transaction.atomic
def booking_add_delegates(*, booking, delegates, actor="booker", by_staff=False):
    booking = _lock_booking(booking)
    _require_changeable(booking, by_staff=by_staff)
    rows = _validate_delegates(delegates)
    _check_delegate_emails(
        booking.session,
        [d.email for d in booking.delegates.all()] + [row.email for row in rows],
        exclude_booking=booking,
    )
    if booking.holds_seats:
        free = seats_remaining(booking.session)
        if len(rows) > free:
            raise InsufficientSeats(free)
    for row in rows:
        row.booking = booking
    Delegate.objects.bulk_create(rows)
    booking.save(update_fields=["updated_at"])
    # One event for the whole change, so the booker gets one notice with the new list and total.
    _record(
        booking,
        BookingEvent.Kind.DELEGATE_ADDED,
        "Added " + ", ".join(f"{row.name} <{row.email}>" for row in rows) + ".",
        actor=actor,
        emails=[row.email for row in rows],
    )
    return booking


@transaction.atomic
def booking_remove_delegate(*, booking, delegate_id, actor="booker", by_staff=False):
    booking = _lock_booking(booking)
    _require_changeable(booking, by_staff=by_staff)
    delegate = booking.delegates.filter(pk=delegate_id).first()
    if delegate is None:
        raise ValidationError({"delegate": "That delegate is not on this booking."})
    if booking.delegates.count() == 1:
        raise BookingNotChangeable(
            "A booking needs at least one delegate. To remove the last one, cancel the booking.", code="last_delegate"
        )
    delegate.delete()
    booking.save(update_fields=["updated_at"])
    _record(
        booking,
        BookingEvent.Kind.DELEGATE_REMOVED,
        f"Removed {delegate.name} <{delegate.email}>.",
        actor=actor,
        name=delegate.name,
        email=delegate.email,
    )
    # A freed seat may let a waiting booking in, and a smaller waiting booking may now fit.
    waitlist_promote(session=booking.session, actor="system")
    return booking


@transaction.atomic
def booking_substitute_delegate(*, booking, delegate_id, replacement, actor="booker", by_staff=False):
    """Put another person in a delegate's place; the seat stays with the booking."""
    booking = _lock_booking(booking)
    _require_changeable(booking, by_staff=by_staff)
    delegate = booking.delegates.filter(pk=delegate_id).first()
    if delegate is None:
        raise ValidationError({"delegate": "That delegate is not on this booking."})
    [new] = _validate_delegates([replacement])
    others = [d.email for d in booking.delegates.all() if d.pk != delegate.pk]
    _check_delegate_emails(booking.session, [*others, new.email], exclude_booking=booking)
    old = {"name": delegate.name, "email": delegate.email}
    delegate.name, delegate.email, delegate.job_role, delegate.adjustments = (
        new.name,
        new.email,
        new.job_role,
        new.adjustments,
    )
    delegate.save()
    booking.save(update_fields=["updated_at"])
    _record(
        booking,
        BookingEvent.Kind.DELEGATE_SUBSTITUTED,
        f"{old['name']} <{old['email']}> replaced by {new.name} <{new.email}>.",
        actor=actor,
        old=old,
        new={"name": new.name, "email": new.email},
        delegate_id=delegate.pk,
    )
    return booking


@transaction.atomic
def booking_new_manage_link(*, booking, actor="booker"):
    """Send the booker a new manage link; every link sent before stops working."""
    booking = Booking.objects.select_for_update().select_related("session__course", "session__venue").get(pk=booking.pk)
    booking.manage_key = new_manage_key()
    booking.save(update_fields=["manage_key", "updated_at"])
    _record(
        booking,
        BookingEvent.Kind.LINK_REISSUED,
        f"New manage link sent to {booking.contact_email}; earlier links no longer work.",
        actor=actor,
    )
    return booking


# ---------------------------------------------------------------------------------------------
# Email confirmation of public bookings


class UnconfirmedLimit(BookingError):
    code = "too_many_unconfirmed"


def _check_unconfirmed_cap(contact_email, organisation, seats):
    """A booker or organisation holds at most BOOKING_UNCONFIRMED_SEATS_MAX seats unconfirmed."""
    held = Delegate.objects.filter(
        Q(booking__contact_email__iexact=contact_email.strip()) | Q(booking__organisation__iexact=organisation.strip()),
        booking__status=BookingStatus.UNCONFIRMED,
    ).count()
    limit = settings.BOOKING_UNCONFIRMED_SEATS_MAX
    # One booking of any size may always wait: the cap stops a second, third... piling up.
    if held and held + seats > limit:
        raise UnconfirmedLimit(
            f"You have {held} place{'s' if held != 1 else ''} waiting for you to confirm your email address. "
            f"Confirm those bookings from the emails we sent first (at most {limit} places can wait at once), "
            "or call us.",
        )


@transaction.atomic
def booking_confirm_email(*, booking, actor="booker (email link)"):
    """The booker confirmed their email address: the held seats become the booking (confirmed,
    or awaiting the PO), or a waiting-list booking may now be promoted. Delegates are emailed
    from here on. Confirming twice changes nothing."""
    booking = _lock_booking(booking)
    if booking.email_confirmed_at is not None or booking.confirm_by is None:
        return booking
    if booking.status == BookingStatus.CANCELLED:
        raise BookingNotChangeable(
            "This booking was not confirmed in time, so the places were released. Please book again.",
            code="booking_lapsed",
        )
    now = timezone.now()
    booking.email_confirmed_at = now
    if booking.status == BookingStatus.UNCONFIRMED:
        booking.status = BookingStatus.CONFIRMED if booking.purchase_order else BookingStatus.AWAITING_PO
        booking.po_deadline = (
            _po_deadline(booking.session, now) if booking.status == BookingStatus.AWAITING_PO else None
        )
    booking.save(update_fields=["email_confirmed_at", "status", "po_deadline", "updated_at"])
    _record(
        booking,
        BookingEvent.Kind.EMAIL_CONFIRMED,
        f"Email address {booking.contact_email} confirmed: {booking.get_status_display().lower()}.",
        actor=actor,
        status=booking.status,
    )
    if booking.status == BookingStatus.WAITLISTED:
        waitlist_promote(session=booking.session, actor="system")
    return booking


def unconfirmed_bookings_release(*, now=None):
    """Bookings not confirmed from the booker's email by their confirm_by time lapse: their
    seats go back (to the waiting list first). Nothing is emailed to the unconfirmed address.
    Returns the number released."""
    now = now or timezone.now()
    released = 0
    expired = Booking.objects.filter(
        confirm_by__lt=now, email_confirmed_at=None, status__in=[BookingStatus.UNCONFIRMED, BookingStatus.WAITLISTED]
    ).values_list("pk", flat=True)
    for pk in list(expired):
        with transaction.atomic():
            booking = _lock_booking(Booking.objects.get(pk=pk))
            if booking.email_confirmed_at is not None or booking.status == BookingStatus.CANCELLED:
                continue  # confirmed meanwhile
            previous = booking.status
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_reason = "The booker's email address was not confirmed in time."
            booking.save(update_fields=["status", "cancelled_reason", "updated_at"])
            _record(
                booking,
                BookingEvent.Kind.LAPSED,
                "Lapsed: the booker's email address was not confirmed in time; the places were released.",
                actor="system",
                previous_status=previous,
            )
            if previous == BookingStatus.UNCONFIRMED:
                waitlist_promote(session=booking.session, actor="system")
            released += 1
    return released


# ---------------------------------------------------------------------------------------------
# Waiting list and PO holds


def waitlist_promote(*, session, actor="system", after_close=False):
    """Promote waiting bookings, oldest first, wherever they fit in the free seats.

    Runs while the session takes bookings; with `after_close` (seats freed by an expired PO
    hold, whose deadline may be booking close itself) also until the session starts.
    Returns the promoted bookings.
    """
    with transaction.atomic():
        session = _lock_session(session.pk)
        reason = session.not_bookable_reason()
        if reason and not (after_close and reason[0] == "session_closed"):
            return []
        free = session.capacity - seats_taken(session)
        promoted = []
        waiting = (
            session.bookings.filter(status=BookingStatus.WAITLISTED)
            # A waiting booking whose booker has yet to confirm their email is not promoted.
            .exclude(confirm_by__isnull=False, email_confirmed_at=None)
            .annotate(size=Count("delegates"))
            .order_by("created_at", "pk")
        )
        now = timezone.now()
        for booking in waiting:
            if free <= 0:
                break
            if booking.size > free:
                continue
            booking.status = BookingStatus.CONFIRMED if booking.purchase_order else BookingStatus.AWAITING_PO
            booking.po_deadline = _po_deadline(session, now) if booking.status == BookingStatus.AWAITING_PO else None
            booking.save(update_fields=["status", "po_deadline", "updated_at"])
            free -= booking.size
            _record(
                booking,
                BookingEvent.Kind.PROMOTED,
                f"A place is yours: promoted from the waiting list ({booking.get_status_display().lower()}).",
                actor=actor,
                status=booking.status,
            )
            promoted.append(booking)
        return promoted


def po_holds_release_expired(*, now=None):
    """Release every awaiting-PO hold past its deadline; the seats go to the waiting list.

    Each booking is handled in its own transaction, so one failure does not block the rest.
    Returns the number released.
    """
    now = now or timezone.now()
    released = 0
    expired = Booking.objects.filter(status=BookingStatus.AWAITING_PO, po_deadline__lt=now).values_list("pk", flat=True)
    for pk in list(expired):
        with transaction.atomic():
            booking = Booking.objects.get(pk=pk)
            booking = _lock_booking(booking)
            # Re-check under the lock: the PO may have arrived meanwhile.
            if booking.status != BookingStatus.AWAITING_PO or booking.po_deadline >= now:
                continue
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_reason = "No purchase order was received by the deadline."
            booking.save(update_fields=["status", "cancelled_reason", "updated_at"])
            _record(
                booking,
                BookingEvent.Kind.PO_EXPIRED,
                "Seats released: no purchase order by the deadline.",
                actor="system",
            )
            waitlist_promote(session=booking.session, actor="system", after_close=True)
            released += 1
    return released
