"""In-house sessions: a course run for one organisation at its own site, never offered to the
public, with one booking (the host booking) whose booker is the client's coordinator.

The host booking carries the price agreed as a whole (agreed_lines; nothing per delegate) and the
PO. Each delegate registers from a private link (booking/links.py) and becomes a delegate of the
host booking through the ordinary booking services (booking_add_delegates and friends), so
seats, locking, joining instructions, calendar invites, reminders and change notices are the
public ones, not a copy.

A host booking with "PO to follow" has no PO deadline: the PO is chased (booking/reminders.py)
but the places are never released for want of it, since nobody else could take them.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.money import money
from core.templatetags.uk import gbp

from ..models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Delegate,
    Venue,
    new_manage_key,
    new_reference,
)
from . import seats
from .changes import booking_add_delegates
from .seats import BookingError, DelegateData
from .sessions import session_create

# The client's site as the venue: our field names on the left, the venue's on the right.
SITE_FIELDS = {"site_name": "name", "site_address": "address", "site_town": "town", "site_postcode": "postcode"}
# The host booking's fields named as the caller names them.
BOOKING_FIELDS = {
    "organisation": "organisation",
    "organisation_type": "organisation_type",
    "contact_name": "contact_name",
    "contact_email": "contact_email",
    "contact_phone": "contact_phone",
    "job_title": "job_title",
    "invoice_address": "invoice_address",
    "purchase_order": "purchase_order",
}


class RegistrationClosed(BookingError):
    """Registration from the private link is over: the course is full, closed or cancelled."""

    code = "registration_closed"


class CourseFull(RegistrationClosed):
    code = "course_full"


def agreed_lines_clean(lines):
    """The agreed price as stored: [{"description", "quantity", "unit_price"}] with the numbers as
    strings (JSON has no decimals). A line may be a discount (a negative unit price), but the
    whole may not be below nothing."""
    if not lines:
        raise ValidationError({"agreed_lines": "Give the agreed price: at least one line."})
    cleaned, errors = [], []
    for number, line in enumerate(lines, start=1):
        description = str(line.get("description") or "").strip()
        try:
            quantity = Decimal(str(line.get("quantity", "")).strip())
            unit_price = money(str(line.get("unit_price", "")).strip())
        except (InvalidOperation, ValueError):
            errors.append(f"Line {number}: enter the quantity and the unit price as numbers.")
            continue
        if not description:
            errors.append(f"Line {number}: enter a description.")
        if not quantity.is_finite() or quantity <= 0:
            errors.append(f"Line {number}: the quantity must be more than 0.")
        if not unit_price.is_finite():
            errors.append(f"Line {number}: enter the unit price as a number.")
        cleaned.append(
            {"description": description, "quantity": f"{quantity.normalize():f}", "unit_price": f"{unit_price:f}"}
        )
    if errors:
        raise ValidationError({"agreed_lines": errors})
    if sum(Decimal(line["quantity"]) * Decimal(line["unit_price"]) for line in cleaned) < 0:
        raise ValidationError({"agreed_lines": "The agreed price cannot be less than nothing."})
    return cleaned


def _renamed(error, names):
    """A model's ValidationError with its fields named as our caller names them."""
    back = {model: ours for ours, model in names.items()}
    return ValidationError({back.get(field, field): messages for field, messages in error.message_dict.items()})


def _check_days(days):
    if not days:
        raise ValidationError({"days": "Choose at least one day for the course."})
    for number, (start, end) in enumerate(sorted(days), start=1):
        if end <= start:
            raise ValidationError({"days": f"Day {number} must end after it starts."})


def _check_site(town, postcode):
    # The venue's own rule says this too, but for the venue as a whole; here, by field.
    errors = {}
    if not (town or "").strip():
        errors["site_town"] = "Enter the town of the client's site."
    if not (postcode or "").strip():
        errors["site_postcode"] = "Enter the postcode of the client's site."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def in_house_session_create(
    *,
    course,
    days,
    capacity,
    trainer,
    organisation,
    organisation_type,
    site_name,
    site_address,
    site_town,
    site_postcode,
    contact_name,
    contact_email,
    contact_phone,
    job_title,
    invoice_address,
    purchase_order="",
    po_to_follow=False,
    agreed_lines,
    joining_instructions="",
    actor,
    terms_version=None,
):
    """Schedule an in-house session at the client's site with its host booking; returns the
    booking (its session is booking.session). `days` is a list of (start, end) zone-aware
    datetimes. No delegates yet: they register from the private link (in_house_register).

    With a PO the booking is confirmed; with "PO to follow" it awaits the PO, which is chased
    but never releases the session. Raises ValidationError (nothing is created) for bad input,
    and for a trainer who is not free on those days (from session_create)."""
    purchase_order = (purchase_order or "").strip()
    if purchase_order and po_to_follow:
        raise ValidationError({"po_to_follow": "Give a purchase order number or choose 'PO to follow', not both."})
    if not purchase_order and not po_to_follow:
        raise ValidationError(
            {"purchase_order": "Give a purchase order number, or choose 'PO to follow' if it will be sent later."}
        )
    lines = agreed_lines_clean(agreed_lines)
    _check_days(days)
    _check_site(site_town, site_postcode)

    venue = Venue(
        name=(site_name or "").strip(),
        address=(site_address or "").strip(),
        town=(site_town or "").strip(),
        postcode=(site_postcode or "").strip().upper(),
        is_online=False,
    )
    try:
        venue.full_clean()
    except ValidationError as exc:
        raise _renamed(exc, SITE_FIELDS) from None
    venue.save()

    session = session_create(
        course=course,
        venue=venue,
        days=days,
        capacity=capacity,
        price=Decimal("0.00"),  # never sold per delegate: the price is the host booking's agreed lines
        trainer=trainer,
        joining_instructions=joining_instructions,
    )
    session.is_in_house = True
    session.save(update_fields=["is_in_house", "updated_at"])

    now = timezone.now()
    status = BookingStatus.CONFIRMED if purchase_order else BookingStatus.AWAITING_PO
    booking = Booking(
        session=session,
        status=status,
        organisation=(organisation or "").strip(),
        organisation_type=organisation_type,
        contact_name=(contact_name or "").strip(),
        contact_email=(contact_email or "").strip(),
        contact_phone=contact_phone,
        job_title=(job_title or "").strip(),
        invoice_address=(invoice_address or "").strip(),
        purchase_order=purchase_order,
        po_to_follow=not purchase_order,
        po_deadline=None,  # nothing is released for want of the PO (see the module's docstring)
        terms_accepted_at=now,
        terms_version=terms_version or settings.BOOKING_TERMS_VERSION,
        price_per_delegate=Decimal("0.00"),
        agreed_lines=lines,
    )
    while Booking.objects.filter(reference=booking.reference).exists():  # rare: draw another
        booking.reference = new_reference()
    try:
        booking.full_clean()
    except ValidationError as exc:
        raise _renamed(exc, BOOKING_FIELDS) from None
    booking.save()
    booking.session = session
    totals = booking.totals()
    seats.record(
        booking,
        BookingEvent.Kind.CREATED,
        f"In-house course for {booking.organisation}: {session.capacity} places at {venue}, "
        f"agreed price {gbp(totals['net'])} + VAT ({'PO ' + purchase_order if purchase_order else 'PO to follow'}).",
        actor=actor,
        status=status,
        in_house=True,
    )
    return booking


def host_booking(session):
    """The in-house session's one booking (the coordinator's), or None."""
    return session.bookings.order_by("created_at", "pk").first()


def _ask(booking):
    return f"Ask {booking.contact_name} ({booking.contact_email})"


def registration_closed_reason(session, booking, *, now=None):
    """None while delegates may register; otherwise (code, message) for the registration page."""
    ask = _ask(booking) if booking else "Ask your training coordinator"
    if session.is_cancelled:
        return ("session_cancelled", f"This course has been cancelled. {ask} about another date.")
    if booking is None or not booking.is_active:
        return ("registration_closed", f"Registration for this course is closed. {ask} about a place.")
    reason = session.not_bookable_reason(now)
    if reason:
        return (reason[0], f"Registration for this course has closed. {ask} if you need a place.")
    return None


def course_full_message(session, booking):
    return (
        f"This course is full: all {session.capacity} place{'s' if session.capacity != 1 else ''} are taken. "
        f"{_ask(booking)} about another date."
    )


def _validate_registrant(name, email, job_role, adjustments):
    delegate = Delegate(
        name=(name or "").strip(),
        email=(email or "").strip(),
        job_role=(job_role or "").strip(),
        adjustments=(adjustments or "").strip(),
    )
    delegate.full_clean(exclude=["booking"])
    return delegate


@transaction.atomic
def in_house_register(*, session, name, email, job_role="", adjustments="", actor="delegate (registration link)"):
    """One person registers themselves from the private link: they become a delegate of the
    host booking (booking_add_delegates), and get joining instructions and calendar invites as
    any delegate does. Returns the Delegate.

    Refused, with nothing changed: a full course (CourseFull), a closed or cancelled one
    (RegistrationClosed), and bad or repeated details (ValidationError by field: name, email,
    job_role, adjustments)."""
    registrant = _validate_registrant(name, email, job_role, adjustments)
    session = seats.lock_session(session.pk)
    if not session.is_in_house:
        raise RegistrationClosed("This course does not take registrations.", code="not_in_house")
    booking = host_booking(session)
    reason = registration_closed_reason(session, booking)
    if reason:
        raise RegistrationClosed(reason[1], code=reason[0])
    if seats.seats_taken(session) >= session.capacity:
        raise CourseFull(course_full_message(session, booking))
    if booking.delegates.filter(email__iexact=registrant.email).exists():
        raise ValidationError(
            {"email": f"{registrant.email} is already registered for this course. Each person registers once."}
        )
    booking_add_delegates(
        booking=booking,
        delegates=[
            DelegateData(
                name=registrant.name,
                email=registrant.email,
                job_role=registrant.job_role,
                adjustments=registrant.adjustments,
            )
        ],
        actor=actor,
    )
    return booking.delegates.get(email__iexact=registrant.email)


@transaction.atomic
def in_house_registration_link_renew(*, booking, actor):
    """A new private registration link for the booking's in-house course, emailed to the
    coordinator; every link shared before stops working at once (one forwarded too far, say).
    Those already registered keep their places."""
    booking = seats.lock_booking(booking)
    session = booking.session
    if not session.is_in_house:
        raise BookingError("Only an in-house course has a registration link.", code="not_in_house")
    if session.is_cancelled or not booking.is_active:
        raise BookingError("This course has been cancelled.", code="session_cancelled")
    session.registration_key = new_manage_key()
    session.save(update_fields=["registration_key", "updated_at"])
    seats.record(
        booking,
        BookingEvent.Kind.REGISTRATION_LINK_RENEWED,
        "New registration link made; the link shared before no longer works.",
        actor=actor,
    )
    return booking
