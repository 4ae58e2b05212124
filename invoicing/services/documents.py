"""Issuing invoices and credit notes, recording payments, and the kept PDF.

Each issue copies onto the row everything the document prints, takes its number from the
series' counter inside the same transaction (numbering.py) and queues its email to the booker
with the PDF attached by reference, also in that transaction: after commit, at most once.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from booking.models import Booking, BookingStatus
from core.money import money
from core.templatetags.uk import gbp

from ..models import PAYMENT_FIELDS, Invoice, InvoiceLine
from ..text import uk_day
from .numbering import next_number

ZERO = Decimal("0.00")
LINES_MAX = 50


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def net(self):
        return money(self.quantity * self.unit_price)


def _decimal(value):
    try:
        number = Decimal(str(value).strip().replace("£", "").replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def clean_lines(lines, *, field="lines"):
    """Lines as Line objects, or ValidationError naming each bad value ("lines[1].unit_price").

    Each line is a dict with description, quantity and unit_price (strings or numbers)."""
    if not lines:
        raise ValidationError({field: "Add at least one line."})
    if len(lines) > LINES_MAX:
        raise ValidationError({field: f"Put at most {LINES_MAX} lines on one document."})
    errors, cleaned = {}, []
    for index, line in enumerate(lines):
        where = f"{field}[{index}]"
        description = str(line.get("description") or "").strip()
        quantity = _decimal(line.get("quantity", ""))
        unit_price = _decimal(line.get("unit_price", ""))
        if not description:
            errors[f"{where}.description"] = "Enter a description."
        elif len(description) > 500:
            errors[f"{where}.description"] = "Keep the description to 500 characters."
        if quantity is None or quantity <= 0 or quantity != quantity.quantize(Decimal("0.001")):
            errors[f"{where}.quantity"] = "Enter a quantity more than 0, for example 3 or 1.5."
        elif quantity >= Decimal("1000000"):
            errors[f"{where}.quantity"] = "Enter a quantity less than 1,000,000."
        # A negative unit price is a discount line; the total is checked below.
        if unit_price is None or unit_price != unit_price.quantize(Decimal("0.01")) or abs(unit_price) >= 10**8:
            errors[f"{where}.unit_price"] = "Enter a unit price in pounds and pence, for example 150.00."
        if f"{where}.description" not in errors and f"{where}.quantity" not in errors and unit_price is not None:
            cleaned.append(Line(description, quantity, unit_price))
    if errors:
        raise ValidationError(errors)
    if sum(line.net for line in cleaned) <= 0:
        raise ValidationError({field: "The total must be more than £0.00."})
    return cleaned


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for this document."})
    if len(reason) > 300:
        raise ValidationError({"reason": "Keep the reason to 300 characters."})
    return reason


def session_description(session):
    """ "De-escalation Skills, Tue 3 March 2026, Orwell Training Centre, Ipswich": what was sold."""
    first, last = timezone.localdate(session.starts_at), timezone.localdate(session.ends_at)
    dates = uk_day(first) if first == last else f"{uk_day(first)} to {uk_day(last)}"
    venue = "Online (virtual classroom)" if session.venue.is_online else str(session.venue)
    return f"{session.course.title}, {dates}, {venue}"


def booking_lines(booking):
    """What the booking costs as it stands: its agreed lines (an accepted in-house quote, priced
    as a whole), else one line of delegate places at the booking's price per delegate."""
    if booking.agreed_lines:
        return [
            {"description": line["description"], "quantity": line["quantity"], "unit_price": line["unit_price"]}
            for line in booking.agreed_lines
        ]
    return [
        {
            "description": f"{session_description(booking.session)}: delegate places",
            "quantity": booking.delegates.count(),
            "unit_price": booking.price_per_delegate,
        }
    ]


def _supplier():
    provider = settings.PROVIDER
    return {
        "supplier_name": provider["name"],
        "supplier_address": provider["address"],
        "supplier_vat_number": provider["vat_number"],
        "supplier_company_number": provider.get("company_number", ""),
        "supplier_bank_details": provider.get("bank_details", ""),
    }


def _save_with_lines(document, lines):
    document.full_clean()
    document.save()
    rows = []
    for position, line in enumerate(lines, start=1):
        row = InvoiceLine(
            invoice=document,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            net=line.net,
        )
        row.full_clean()
        rows.append(row)
    InvoiceLine.objects.bulk_create(rows)
    from ..emails import queue_document_email  # the emails module reads these documents back

    queue_document_email(document)
    return document


@transaction.atomic
def invoice_issue(*, booking, lines=None, reason, event=None):
    """Issue an invoice for the booking and email it to the booker. Returns the invoice.

    Without `lines`: the booking's own invoice (booking_lines), issued once per booking, for a
    confirmed booking. With `lines`: a further invoice for the same booking (places added
    later, say). Either way the booking must have its PO: an invoice without one is returned
    unpaid. `event` is the booking change that caused it (one invoice per change)."""
    reason = _reason(reason)
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("session__course", "session__venue")
        .get(pk=booking.pk)
    )
    if not booking.purchase_order:
        raise ValidationError(
            {"booking": "Add the booking's purchase order number first: an invoice without one is returned unpaid."}
        )
    if booking.status == BookingStatus.CANCELLED:
        raise ValidationError({"booking": "This booking is cancelled: there is nothing to invoice."})
    supplementary = lines is not None
    if not supplementary:
        if booking.status != BookingStatus.CONFIRMED:
            raise ValidationError({"booking": "Only a confirmed booking is invoiced."})
        first = booking.invoices.filter(kind=Invoice.Kind.INVOICE, supplementary=False).first()
        if first is not None:
            raise ValidationError({"booking": f"This booking already has its invoice, {first.number}."})
        lines = booking_lines(booking)
    cleaned = clean_lines(lines)
    now = timezone.now()
    net = sum((line.net for line in cleaned), ZERO)
    vat = money(net * settings.VAT_RATE)
    invoice = Invoice(
        kind=Invoice.Kind.INVOICE,
        number=next_number("INV"),
        booking=booking,
        supplementary=supplementary,
        event=event,
        reason=reason,
        issued_at=now,
        due_on=timezone.localdate(now) + timedelta(days=settings.INVOICE_DUE_DAYS),
        **_supplier(),
        buyer_organisation=booking.organisation,
        buyer_contact_name=booking.contact_name,
        buyer_email=booking.contact_email,
        buyer_address=booking.invoice_address,
        purchase_order=booking.purchase_order,
        vat_rate=settings.VAT_RATE,
        net=net,
        vat=vat,
        gross=net + vat,
    )
    return _save_with_lines(invoice, cleaned)


def credited(invoice):
    """What the invoice's credit notes add up to: {"net", "vat", "gross"}."""
    sums = invoice.credit_notes.aggregate(net=Sum("net"), vat=Sum("vat"), gross=Sum("gross"))
    # money(): SQLite sums decimals in floating point.
    return {key: money(value or ZERO) for key, value in sums.items()}


def remaining(invoice):
    """What is still invoiced and not credited: {"net", "vat", "gross"}."""
    done = credited(invoice)
    return {key: getattr(invoice, key) - done[key] for key in ("net", "vat", "gross")}


@transaction.atomic
def credit_note_issue(*, invoice, lines=None, amount=None, reason, event=None):
    """Issue a credit note against `invoice` and email it to the booker. Returns it.

    Give either `lines` (as for invoices) or `amount` (one line, the reason, excluding VAT).
    A credit note never takes more than is left of the invoice after earlier ones; VAT is at
    the invoice's rate, and a credit of everything left takes exactly the VAT left, so an
    invoice credited in full nets to £0.00 to the penny."""
    reason = _reason(reason)
    invoice = Invoice.objects.select_for_update().select_related("booking").get(pk=invoice.pk)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise ValidationError({"invoice": "Choose an invoice: a credit note corrects an invoice."})
    if (lines is None) == (amount is None):
        raise ValidationError({"amount": "Give either the lines to credit or an amount, not both."})
    if amount is not None:
        value = _decimal(amount)
        if value is None or value <= 0 or value != value.quantize(Decimal("0.01")):
            raise ValidationError({"amount": "Enter an amount more than £0.00, in pounds and pence."})
        lines = [{"description": reason, "quantity": 1, "unit_price": value}]
    cleaned = clean_lines(lines)
    net = sum((line.net for line in cleaned), ZERO)
    left = remaining(invoice)
    if net > left["net"]:
        field = "amount" if amount is not None else "lines"
        raise ValidationError(
            {field: f"Credit at most {gbp(left['net'])} excluding VAT: that is what is left of {invoice.number}."}
        )
    vat = left["vat"] if net == left["net"] else min(money(net * invoice.vat_rate), left["vat"])
    booking = invoice.booking
    note = Invoice(
        kind=Invoice.Kind.CREDIT_NOTE,
        number=next_number("CN"),
        booking=booking,
        credits=invoice,
        event=event,
        reason=reason,
        issued_at=timezone.now(),
        **_supplier(),
        buyer_organisation=invoice.buyer_organisation,
        buyer_contact_name=booking.contact_name,
        buyer_email=booking.contact_email,
        buyer_address=invoice.buyer_address,
        purchase_order=invoice.purchase_order,
        vat_rate=invoice.vat_rate,
        net=net,
        vat=vat,
        gross=net + vat,
    )
    return _save_with_lines(note, cleaned)


def _recorder(user):
    name = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return (name or user.get_username())[:150]


def _lock_invoice(invoice):
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise ValidationError({"invoice": f"{invoice.number} is a credit note: only invoices are paid."})
    return invoice


@transaction.atomic
def invoice_mark_paid(*, invoice, paid_on, user):
    """Record that the invoice was paid on `paid_on` (the date on the bank statement)."""
    invoice = _lock_invoice(invoice)
    if paid_on is None:
        raise ValidationError({"paid_on": "Enter the date the payment arrived."})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "Enter a payment date that is today or earlier."})
    if invoice.paid_on:
        raise ValidationError({"invoice": f"{invoice.number} is already marked paid on {uk_day(invoice.paid_on)}."})
    if remaining(invoice)["gross"] <= 0:
        raise ValidationError({"invoice": f"Nothing is due on {invoice.number}: it has been credited in full."})
    invoice.paid_on = paid_on
    invoice.paid_recorded_by = _recorder(user)
    invoice.paid_recorded_at = timezone.now()
    invoice.save(update_fields=sorted(PAYMENT_FIELDS))
    return invoice


@transaction.atomic
def invoice_mark_unpaid(*, invoice, user):
    """Undo a payment recorded by mistake (the payment record is the only part that changes)."""
    invoice = _lock_invoice(invoice)
    if not invoice.paid_on:
        raise ValidationError({"invoice": f"{invoice.number} is not marked paid."})
    invoice.paid_on = None
    invoice.paid_recorded_by = _recorder(user)
    invoice.paid_recorded_at = timezone.now()
    invoice.save(update_fields=sorted(PAYMENT_FIELDS))
    return invoice
