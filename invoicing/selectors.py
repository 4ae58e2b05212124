"""Reading invoices: with what their credit notes add up to, and their payment status."""

from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from .models import Invoice


class Status:
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    PAID = "paid"
    CREDITED = "credited"
    CREDIT_NOTE = "credit_note"

    LABELS = {
        UNPAID: "Unpaid",
        OVERDUE: "Overdue",
        PAID: "Paid",
        CREDITED: "Credited in full",
        CREDIT_NOTE: "Credit note",
    }


def invoice_list():
    """Invoices and credit notes, each with `credited_gross`: what credit notes took off it."""
    credit_notes = (
        Invoice.objects.filter(credits=OuterRef("pk"))
        .order_by()
        .values("credits")
        .annotate(total=Round(Sum("gross"), 2))  # SQLite sums in floating point
        .values("total")
    )
    money = DecimalField(max_digits=10, decimal_places=2)
    return Invoice.objects.select_related("booking", "credits").annotate(
        credited_gross=Coalesce(Subquery(credit_notes, output_field=money), Value(Decimal("0.00")), output_field=money)
    )


def status_filter(status, today=None):
    """A Q for invoice_list() rows in `status` (unpaid includes overdue: all that is still owed)."""
    today = today or timezone.localdate()
    invoice = Q(kind=Invoice.Kind.INVOICE)
    owed = invoice & Q(paid_on__isnull=True, credited_gross__lt=F("gross"))
    return {
        Status.UNPAID: owed,
        Status.OVERDUE: owed & Q(due_on__lt=today),
        Status.PAID: invoice & Q(paid_on__isnull=False),
        Status.CREDITED: invoice & Q(paid_on__isnull=True, credited_gross__gte=F("gross")),
        Status.CREDIT_NOTE: Q(kind=Invoice.Kind.CREDIT_NOTE),
    }[status]


def invoice_status(invoice, today=None):
    """One of Status for a row of invoice_list() (or any invoice, at the cost of a query)."""
    if invoice.is_credit_note:
        return Status.CREDIT_NOTE
    if invoice.paid_on:
        return Status.PAID
    credited_gross = getattr(invoice, "credited_gross", None)
    if credited_gross is None:
        credited_gross = invoice.credit_notes.aggregate(total=Sum("gross"))["total"] or Decimal(0)
    if credited_gross >= invoice.gross:
        return Status.CREDITED
    if invoice.due_on < (today or timezone.localdate()):
        return Status.OVERDUE
    return Status.UNPAID
