"""A lead turns into a booking: the booking is linked to the lead, the lead moves to won and its
owner is told, all on the lead's timeline."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.templatetags.uk import uk_date

from .. import notifications
from ..models import OPEN_STATUSES, Lead, LeadActivity, LeadStatus
from .common import _activity, _lock
from .pipeline import lead_change_status

# A booking that holds its places: the lead is won. A waiting-list place may never come, so the
# owner is asked instead.
WINNING_STATUSES = {"confirmed", "awaiting_po"}


def _describe(booking):
    count = booking.delegates.count()
    return (
        f"{booking.session.course.title}, {uk_date(booking.session.starts_at)}, "
        f"{count} delegate{'' if count == 1 else 's'} ({booking.get_status_display().lower()})"
    )


def _link(lead, booking, *, actor=None, how="Booked {reference}"):
    lead.bookings.add(booking)
    text = f"{how.format(reference=booking.reference)}: {_describe(booking)}."
    _activity(lead, LeadActivity.Kind.BOOKING, text, actor=actor)
    won = lead.is_open and booking.status in WINNING_STATUSES
    if won:
        lead = lead_change_status(lead=lead, status=LeadStatus.WON, actor=actor)
    notifications.lead_booked(lead, booking, won=won, actor=actor)
    return lead


def lead_link_booking(*, booking):
    """A booking whose booker has an open lead (same email address) is linked to it. Called once
    the booking is real: made, or its email address confirmed when that was asked for, so an
    address typed by someone else never closes a lead. Returns the leads linked."""
    if booking.status == "unconfirmed":
        return []
    leads = list(
        Lead.objects.filter(
            email__iexact=booking.contact_email, status__in=OPEN_STATUSES, anonymised_at__isnull=True
        ).exclude(bookings=booking)
    )
    linked = []
    with transaction.atomic():
        for lead in leads:
            linked.append(_link(_lock(lead), booking))
    return linked


@transaction.atomic
def lead_link_booking_by_reference(*, lead, reference, actor=None):
    """Staff link a booking to the lead it came from, by the booking's reference."""
    from booking.models import Booking

    lead = _lock(lead)
    booking = Booking.objects.filter(reference=reference.strip().upper()).select_related("session__course").first()
    if booking is None:
        raise ValidationError({"reference": "No booking has that reference."})
    if lead.bookings.filter(pk=booking.pk).exists():
        raise ValidationError({"reference": "That booking is already linked to this lead."})
    _link(lead, booking, actor=actor, how="Booking {reference} linked")
    return booking
