"""What each booking change means for the booking's invoices, under the booking terms.

booking/services/seats.py record() calls invoicing_on_booking_event() for every change, inside
the change's transaction and after the booking's own notifications, so an invoice or credit
note is issued (and its email queued) with the change or not at all. The booking and its
session are already locked by the booking service.

- Invoiced once, when the booking is confirmed with a PO: booked confirmed (staff, the API,
  an accepted in-house quote), confirmed from the booker's email, the PO added later, or
  promoted from the waiting list. No PO, no invoice: it would come back unpaid.
- After that, per-delegate bookings: places added -> a further invoice for them; a place
  removed -> a credit note for it. A booking priced as a whole (agreed_lines, an in-house
  quote) changes no money when its delegates change.
- Booking cancelled -> a credit note for whatever is still invoiced and not credited.
- The PO replaced after invoicing (staff correct it) -> each invoice quoting the old PO is
  credited for what is left of it and issued again under the new PO: an issued invoice is
  never edited, and one quoting the wrong PO is returned unpaid.
- Under the cancellation terms: free until the session's booking closes; after that
  LATE_CANCELLATION_CHARGE_PERCENT of the price is kept and the rest credited (nothing at
  all, so no credit note, at the default 100%). A session we cancel is credited in full.
"""

import logging
from decimal import Decimal

from django.conf import settings

from booking.models import BookingEvent, BookingStatus
from core.money import line_amount, money
from core.templatetags.uk import gbp, uk_datetime

from ..models import Invoice
from ..text import percent_text
from .documents import booking_lines, credit_note_issue, invoice_issue, remaining, session_description

logger = logging.getLogger(__name__)

Kind = BookingEvent.Kind
ISSUE_ON = {Kind.CREATED, Kind.EMAIL_CONFIRMED, Kind.PO_ADDED, Kind.PROMOTED}
ISSUE_REASONS = {
    Kind.CREATED: "Booking confirmed with a purchase order.",
    Kind.EMAIL_CONFIRMED: "Booking confirmed with a purchase order.",
    Kind.PO_ADDED: "Purchase order received; the booking is confirmed.",
    Kind.PROMOTED: "Promoted from the waiting list with a purchase order.",
}
HUNDRED = Decimal(100)


def invoicing_on_booking_event(event):
    """Issue the invoice or credit notes this booking change calls for, if any."""
    handler = {
        Kind.DELEGATE_ADDED: _invoice_added_places,
        Kind.DELEGATE_REMOVED: _credit_removed_place,
        Kind.CANCELLED: _credit_cancelled_booking,
        Kind.SESSION_CANCELLED: _credit_cancelled_session,
    }.get(event.kind)
    if event.kind in ISSUE_ON:
        handler = _issue_when_confirmed_with_po
    if handler is not None:
        handler(event, event.booking)


def _first_invoice(booking):
    return booking.invoices.filter(kind=Invoice.Kind.INVOICE, supplementary=False).first()


def _issue_when_confirmed_with_po(event, booking):
    if event.kind == Kind.PO_ADDED and _first_invoice(booking):
        _reissue_under_new_po(event, booking)
        return
    if booking.status != BookingStatus.CONFIRMED or not booking.purchase_order or _first_invoice(booking):
        return
    if sum((_net(line) for line in booking_lines(booking)), Decimal(0)) <= 0:
        # A free course, or an agreed price discounted to nothing: there is nothing to invoice.
        logger.info("Booking %s is confirmed with nothing to charge: no invoice.", booking.reference)
        return
    invoice_issue(booking=booking, reason=ISSUE_REASONS[event.kind], event=event)


def _reissue_under_new_po(event, booking):
    stale = [
        (invoice, left) for invoice, left in _open_invoices(booking) if invoice.purchase_order != booking.purchase_order
    ]
    if not stale:
        return
    lines = []
    for invoice, left in stale:
        credit_note_issue(
            invoice=invoice,
            amount=left["net"],
            reason=f"Purchase order changed from {invoice.purchase_order} to {booking.purchase_order}: "
            "invoiced again under the new purchase order.",
            event=event,
        )
        if left["net"] == invoice.net:  # nothing credited before: the same lines again
            lines += [
                {"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price}
                for line in invoice.lines.all()
            ]
        else:
            lines.append(
                {"description": f"Balance of invoice {invoice.number}", "quantity": 1, "unit_price": left["net"]}
            )
    invoice_issue(
        booking=booking,
        lines=lines,
        reason=f"Purchase order changed to {booking.purchase_order}: replaces "
        f"{', '.join(invoice.number for invoice, _left in stale)}.",
        event=event,
    )


def _net(line):
    return line_amount(line["quantity"], line["unit_price"])


def _invoice_added_places(event, booking):
    count = len(event.data.get("emails") or [])
    if booking.agreed_lines or not count or booking.price_per_delegate <= 0 or not _first_invoice(booking):
        return
    invoice_issue(
        booking=booking,
        lines=[
            {
                "description": f"{session_description(booking.session)}: delegate places added",
                "quantity": count,
                "unit_price": booking.price_per_delegate,
            }
        ],
        reason=f"{count} delegate place{'s' if count != 1 else ''} added to the booking.",
        event=event,
    )


def _is_late(event, session):
    return event.created_at >= session.booking_closes_at


def _kept_percent():
    return min(max(Decimal(settings.LATE_CANCELLATION_CHARGE_PERCENT), Decimal(0)), HUNDRED)


def _after_charge(amount):
    """What is credited of `amount` after booking has closed: all but the late charge."""
    return money(amount * (HUNDRED - _kept_percent()) / HUNDRED)


def _open_invoices(booking):
    """The booking's invoices with something still not credited, oldest first, with what is left."""
    invoices = booking.invoices.filter(kind=Invoice.Kind.INVOICE).order_by("issued_at", "pk")
    return [(invoice, left) for invoice in invoices if (left := remaining(invoice))["net"] > 0]


def _late_terms(session):
    kept = _kept_percent()
    return (
        f"after booking closed on {uk_datetime(session.booking_closes_at)}: "
        f"{percent_text((HUNDRED - kept) / HUNDRED)} credited, the {percent_text(kept / HUNDRED)} late "
        "cancellation charge is kept under the booking terms"
    )


def _credit_spread(open_invoices, amount, *, description, reason, event):
    """Credit `amount` (excluding VAT) over the open invoices, oldest first, each up to what is left."""
    for invoice, left in open_invoices:
        if amount <= 0:
            break
        part = min(amount, left["net"])
        credit_note_issue(
            invoice=invoice,
            lines=[{"description": description, "quantity": 1, "unit_price": part}],
            reason=reason,
            event=event,
        )
        amount -= part


def _credit_removed_place(event, booking):
    if booking.agreed_lines:
        return  # priced as a whole: who attends changes no money
    open_invoices = _open_invoices(booking)
    if not open_invoices:
        return
    session, name = booking.session, event.data.get("name") or "a delegate"
    price = booking.price_per_delegate
    if _is_late(event, session):
        amount, when = _after_charge(price), _late_terms(session)
    else:
        amount, when = price, "before booking closed: credited in full"
    if amount <= 0:
        return
    _credit_spread(
        open_invoices,
        amount,
        description=f"{session_description(session)}: place cancelled ({name}), {gbp(price)} a place",
        reason=f"Delegate place cancelled ({name}) {when}.",
        event=event,
    )


def _credit_in_full(open_invoices, *, reason, event):
    for invoice, left in open_invoices:
        if invoice.credit_notes.exists():
            lines = [{"description": f"Balance of invoice {invoice.number}", "quantity": 1, "unit_price": left["net"]}]
        else:  # nothing credited yet: the credit note mirrors the invoice's own lines
            lines = [
                {"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price}
                for line in invoice.lines.all()
            ]
        credit_note_issue(invoice=invoice, lines=lines, reason=reason, event=event)


def _credit_cancelled_booking(event, booking):
    open_invoices = _open_invoices(booking)
    if not open_invoices:
        return
    session = booking.session
    if not _is_late(event, session):
        _credit_in_full(
            open_invoices,
            reason="Booking cancelled before booking closed: free of charge, credited in full.",
            event=event,
        )
        return
    # What the booking is still worth: its places now (or its agreed price). Places removed
    # late earlier kept their charge, which stays out of this credit.
    if booking.agreed_lines:
        value = sum(
            line.net for invoice, _ in open_invoices if not invoice.supplementary for line in invoice.lines.all()
        )
    else:
        value = booking.price_per_delegate * booking.delegates.count()
    outstanding = sum((left["net"] for _, left in open_invoices), Decimal(0))
    amount = min(_after_charge(value), outstanding)
    if amount <= 0:
        return
    _credit_spread(
        open_invoices,
        amount,
        description=f"{session_description(session)}: booking cancelled late, "
        f"{percent_text((HUNDRED - _kept_percent()) / HUNDRED)} of {gbp(value)}",
        reason=f"Booking cancelled {_late_terms(session)}.",
        event=event,
    )


def _credit_cancelled_session(event, booking):
    open_invoices = _open_invoices(booking)
    if open_invoices:
        _credit_in_full(
            open_invoices,
            reason="The session was cancelled by us: everything invoiced is credited in full.",
            event=event,
        )
