"""VAT invoices and credit notes, their lines, and the counters that number them without gaps.

An issued document is a record a VAT-registered business must keep as it was issued: every
detail printed on it (supplier, buyer, PO, lines, rate, totals) is copied onto the row when it
is issued, so a later change to the settings or the booking changes nothing, and the PDF is
kept as first rendered. Only the payment record (paid_on and who recorded it) and the one-time
filling of the kept PDF may change afterwards: save(), the queryset's update() and delete()
refuse anything else. A mistake is corrected by a credit note, never by an edit.

The rules that issue them live in invoicing/services/.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

# The only fields of an issued document that may ever be written again.
PAYMENT_FIELDS = frozenset({"paid_on", "paid_recorded_by", "paid_recorded_at"})
MUTABLE_FIELDS = PAYMENT_FIELDS | {"pdf"}


class IssuedDocumentError(Exception):
    """Something tried to edit or delete an issued invoice or credit note."""


class InvoiceQuerySet(models.QuerySet):
    def update(self, **kwargs):
        changing = set(kwargs) - MUTABLE_FIELDS
        if changing:
            raise IssuedDocumentError(
                f"An issued invoice is never edited ({', '.join(sorted(changing))}): issue a credit note instead."
            )
        return super().update(**kwargs)

    def delete(self):
        raise IssuedDocumentError("Issued invoices and credit notes are kept; they are never deleted.")


class InvoiceLineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise IssuedDocumentError("The lines of an issued invoice are never edited: issue a credit note instead.")

    def delete(self):
        raise IssuedDocumentError("The lines of an issued invoice are kept; they are never deleted.")


class InvoiceCounter(models.Model):
    """The last number given in one series ("INV", "CN").

    Numbers come from this row, locked with SELECT ... FOR UPDATE inside the transaction that
    issues the document, not from a PostgreSQL SEQUENCE: nextval() is never rolled back, so an
    issue that fails after taking a number would leave a gap, and HMRC expects an unbroken
    sequence. A row lock is given back on rollback together with the increment, so the next
    issue takes the same number; two issues at once queue on the lock and get consecutive
    numbers. See invoicing/services/numbering.py.
    """

    series = models.CharField(max_length=10, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.series}: {self.last}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE, editable=False)
    number = models.CharField(max_length=20, unique=True, editable=False)
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="invoices")
    # A further invoice for the same booking (places added later); the booking's own invoice is
    # issued once, which the database holds to as well.
    supplementary = models.BooleanField(default=False, editable=False)
    credits = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text="The invoice this credit note corrects.",
    )
    # The booking change that caused it, so one change never issues the same document twice.
    event = models.ForeignKey(
        "booking.BookingEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    reason = models.CharField(max_length=300, help_text="Why it was issued; printed on a credit note.")
    issued_at = models.DateTimeField(default=timezone.now, editable=False)
    due_on = models.DateField(null=True, blank=True, help_text="Invoices only.")

    # As printed, copied when issued.
    supplier_name = models.CharField(max_length=200)
    supplier_address = models.TextField()
    supplier_vat_number = models.CharField("supplier's VAT number", max_length=30)
    supplier_company_number = models.CharField(max_length=30, blank=True)
    supplier_bank_details = models.TextField(blank=True)
    buyer_organisation = models.CharField(max_length=200)
    buyer_contact_name = models.CharField(max_length=150)
    buyer_email = models.EmailField()
    buyer_address = models.TextField()
    purchase_order = models.CharField("purchase order number", max_length=50)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4)
    net = models.DecimalField("total excluding VAT", max_digits=10, decimal_places=2)
    vat = models.DecimalField("VAT", max_digits=10, decimal_places=2)
    gross = models.DecimalField("total including VAT", max_digits=10, decimal_places=2)

    # The PDF as first rendered (when its email is sent or it is first downloaded), then kept:
    # the copy of the invoice the business must keep.
    pdf = models.BinaryField(null=True, blank=True, editable=False)

    # The payment record: the only part that changes after issue.
    paid_on = models.DateField("paid on", null=True, blank=True)
    paid_recorded_by = models.CharField(max_length=150, blank=True)
    paid_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        permissions = [("record_payment", "Can mark invoices paid or unpaid")]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=models.Q(kind="invoice", supplementary=False),
                name="invoice_once_per_booking",
                violation_error_message="This booking already has its invoice.",
            ),
            models.UniqueConstraint(
                fields=["event"],
                condition=models.Q(kind="invoice", event__isnull=False),
                name="invoice_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["event", "credits"],
                condition=models.Q(kind="credit_note", event__isnull=False),
                name="credit_note_once_per_event_and_invoice",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice", credits__isnull=True, due_on__isnull=False)
                | models.Q(kind="credit_note", credits__isnull=False, supplementary=False),
                name="invoice_kind_fields",
                violation_error_message="An invoice has a due date; a credit note names the invoice it corrects.",
            ),
            # gross = net + vat is the service's sum: SQLite would compare it in floating point.
            models.CheckConstraint(
                condition=models.Q(net__gt=0, vat__gte=0, gross__gte=models.F("net")),
                name="invoice_amounts_positive",
                violation_error_message="The total must be more than zero.",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_on__isnull=True) | models.Q(kind="invoice"),
                name="invoice_only_invoices_are_paid",
            ),
            models.CheckConstraint(condition=~models.Q(purchase_order=""), name="invoice_has_po"),
        ]
        indexes = [models.Index(fields=["due_on"], name="invoice_due_on")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def save(self, *args, update_fields=None, **kwargs):
        if not self._state.adding and (update_fields is None or set(update_fields) - MUTABLE_FIELDS):
            raise IssuedDocumentError(
                "An issued invoice is never edited: only its payment may be recorded. Issue a credit note instead."
            )
        super().save(*args, update_fields=update_fields, **kwargs)

    def delete(self, *args, **kwargs):
        raise IssuedDocumentError("Issued invoices and credit notes are kept; they are never deleted.")

    @property
    def is_credit_note(self):
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def title(self):
        """ "Invoice INV-000012" or "Credit note CN-000003", as the PDF and its file are named."""
        return str(self)

    @property
    def filename(self):
        return f"{self.title}.pdf"

    @property
    def issued_on(self):
        return timezone.localdate(self.issued_at)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=10, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))])
    # Below zero for a discount line (an in-house quote may have one); the document's total never is.
    unit_price = models.DecimalField("unit price excluding VAT", max_digits=10, decimal_places=2)
    net = models.DecimalField("net amount", max_digits=10, decimal_places=2)

    objects = InvoiceLineQuerySet.as_manager()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_once"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="invoice_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.description} × {self.quantity}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise IssuedDocumentError("The lines of an issued invoice are never edited: issue a credit note instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise IssuedDocumentError("The lines of an issued invoice are kept; they are never deleted.")
