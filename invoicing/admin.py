"""The office's invoices: read-only records (an issued invoice is never edited), listed by
payment status, marked paid through the service, exported for the accounts package, and their
PDFs as issued.

Staff need the invoicing permissions: "view" to see and export, "Can mark invoices paid or
unpaid" (record_payment) for the payment actions.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin import ReadOnlyTabularInline, RecordAdmin, action_form_page
from core.templatetags.uk import signed_gbp, uk_datetime

from . import exports, selectors, services
from .models import Invoice, InvoiceLine
from .pdf import document_pdf
from .selectors import Status
from .text import percent_text, quantity_text, uk_day


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (Status.UNPAID, "Unpaid (overdue included)"),
            (Status.OVERDUE, "Overdue"),
            (Status.PAID, "Paid"),
            (Status.CREDITED, "Credited in full"),
        ]

    def queryset(self, request, queryset):
        if self.value() in dict(self.lookup_choices):
            return queryset.filter(selectors.status_filter(self.value()))
        return queryset


class InvoiceLineInline(ReadOnlyTabularInline):
    model = InvoiceLine
    fields = ["description", "quantity_shown", "unit_price_shown", "net_shown"]
    readonly_fields = fields
    verbose_name_plural = "lines"

    @admin.display(description="Quantity")
    def quantity_shown(self, line):
        return quantity_text(line.quantity)

    @admin.display(description="Unit price excl. VAT")
    def unit_price_shown(self, line):
        return signed_gbp(line.unit_price)

    @admin.display(description="Net")
    def net_shown(self, line):
        return signed_gbp(line.net)


class PaidOnForm(forms.Form):
    paid_on = forms.DateField(
        label="Date the payment arrived",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text="As on the bank statement: today or earlier.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise ValidationError("Enter a payment date that is today or earlier.")
        return paid_on


def _messages_of(error):
    return " ".join(message for messages_ in error.message_dict.values() for message in messages_)


@admin.register(Invoice)
class InvoiceAdmin(RecordAdmin):
    list_display = ["number", "kind", "organisation", "purchase_order", "total", "issued", "due", "status", "pdf_link"]
    list_filter = [StatusFilter, "kind"]
    search_fields = ["number", "purchase_order", "buyer_organisation", "booking__reference"]
    ordering = ["-issued_at", "-pk"]
    date_hierarchy = "issued_at"
    inlines = [InvoiceLineInline]
    actions = ["mark_paid", "mark_unpaid", "export_for_accounts"]
    fieldsets = [
        (
            None,
            {"fields": ["number", "kind", "status", "pdf_link", "booking_link", "credits_link", "credit_notes_list"]},
        ),
        ("Dates", {"fields": ["issued", "due", "reason"]}),
        ("Payment", {"fields": ["paid_on", "paid_recorded_by", "paid_recorded_at_shown"]}),
        (
            "Buyer, as invoiced",
            {"fields": ["buyer_organisation", "buyer_contact_name", "buyer_email", "buyer_address", "purchase_order"]},
        ),
        ("Amounts", {"fields": ["vat_rate_shown", "net_shown", "vat_shown", "total"]}),
        (
            "Supplier, as invoiced",
            {"fields": ["supplier_name", "supplier_address", "supplier_vat_number", "supplier_company_number"]},
        ),
    ]
    readonly_fields = [
        "number",
        "kind",
        "status",
        "pdf_link",
        "booking_link",
        "credits_link",
        "credit_notes_list",
        "issued",
        "due",
        "reason",
        "paid_on",
        "paid_recorded_by",
        "paid_recorded_at_shown",
        "buyer_organisation",
        "buyer_contact_name",
        "buyer_email",
        "buyer_address",
        "purchase_order",
        "vat_rate_shown",
        "net_shown",
        "vat_shown",
        "total",
        "supplier_name",
        "supplier_address",
        "supplier_vat_number",
        "supplier_company_number",
    ]

    def get_queryset(self, request):
        # The kept PDFs stay in the database until one is asked for.
        return selectors.invoice_list().defer("pdf")

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="invoicing_invoice_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        document = get_object_or_404(Invoice.objects.select_related("booking", "credits"), pk=pk)
        if not self.has_view_permission(request, document):
            raise PermissionDenied
        response = HttpResponse(document_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document.filename}"'
        return response

    def has_record_payment_permission(self, request):
        return request.user.has_perm("invoicing.record_payment")

    # Columns and fields ---------------------------------------------------------------------------

    @admin.display(description="Organisation", ordering="buyer_organisation")
    def organisation(self, document):
        return document.buyer_organisation

    @admin.display(description="Total incl. VAT", ordering="gross")
    def total(self, document):
        return signed_gbp(document.gross)

    @admin.display(description="Issued", ordering="issued_at")
    def issued(self, document):
        return uk_day(document.issued_on)

    @admin.display(description="Due", ordering="due_on")
    def due(self, document):
        return uk_day(document.due_on) if document.due_on else "-"

    @admin.display(description="Status")
    def status(self, document):
        label = Status.LABELS[selectors.invoice_status(document)]
        if document.paid_on:
            return f"{label} on {uk_day(document.paid_on)}"
        return label

    @admin.display(description="PDF")
    def pdf_link(self, document):
        url = reverse("admin:invoicing_invoice_pdf", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, document.filename)

    @admin.display(description="Booking")
    def booking_link(self, document):
        url = reverse("admin:booking_booking_change", args=[document.booking_id])
        return format_html('<a href="{}">{}</a>', url, document.booking.reference)

    @admin.display(description="Corrects invoice")
    def credits_link(self, document):
        if not document.credits_id:
            return "-"
        url = reverse("admin:invoicing_invoice_change", args=[document.credits_id])
        return format_html('<a href="{}">{}</a>', url, document.credits.number)

    @admin.display(description="Credit notes")
    def credit_notes_list(self, document):
        notes = list(document.credit_notes.order_by("pk"))
        if not notes:
            return "-"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            ((reverse("admin:invoicing_invoice_change", args=[n.pk]), n.number, signed_gbp(n.gross)) for n in notes),
        )

    @admin.display(description="VAT rate")
    def vat_rate_shown(self, document):
        return percent_text(document.vat_rate)

    @admin.display(description="Total excl. VAT")
    def net_shown(self, document):
        return signed_gbp(document.net)

    @admin.display(description="VAT")
    def vat_shown(self, document):
        return signed_gbp(document.vat)

    @admin.display(description="Payment recorded at")
    def paid_recorded_at_shown(self, document):
        return uk_datetime(document.paid_recorded_at) if document.paid_recorded_at else "-"

    # Actions --------------------------------------------------------------------------------------

    @admin.action(description="Mark paid", permissions=["record_payment"])
    def mark_paid(self, request, queryset):
        documents = list(queryset.order_by("number"))
        data = action_form_page(
            self,
            request,
            documents,
            form_class=PaidOnForm,
            title="Mark invoices paid",
            intro="Record the date the payment arrived for these invoices. Credit notes, invoices already "
            "marked paid and invoices credited in full are left as they are.",
            button="Mark paid",
            action="mark_paid",
        )
        if not isinstance(data, dict):
            return data
        done, refused = [], []
        for document in documents:
            try:
                services.invoice_mark_paid(invoice=document, paid_on=data["paid_on"], user=request.user)
            except ValidationError as exc:
                refused.append(_messages_of(exc))
            else:
                done.append(document.number)
        if done:
            self.message_user(
                request, f"Marked paid on {uk_day(data['paid_on'])}: {', '.join(done)}.", messages.SUCCESS
            )
        if refused:
            self.message_user(request, "Left as they were: " + " ".join(refused), messages.WARNING)
        return None

    @admin.action(description="Mark unpaid (undo a payment recorded by mistake)", permissions=["record_payment"])
    def mark_unpaid(self, request, queryset):
        done, refused = [], []
        for document in queryset.order_by("number"):
            try:
                services.invoice_mark_unpaid(invoice=document, user=request.user)
            except ValidationError as exc:
                refused.append(_messages_of(exc))
            else:
                done.append(document.number)
        if done:
            self.message_user(request, f"Marked unpaid: {', '.join(done)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Left as they were: " + " ".join(refused), messages.WARNING)

    @admin.action(description="Export for accounts (CSV, Xero's import columns)")
    def export_for_accounts(self, request, queryset):
        return exports.xero_export(queryset)


class BookingInvoiceInline(ReadOnlyTabularInline):
    """A booking's invoices and credit notes, for the booking admin's inlines, linking to each."""

    model = Invoice
    fields = ["document_link", "issued", "total", "status", "pdf_link"]
    readonly_fields = fields
    ordering = ["issued_at", "pk"]
    verbose_name = "invoice or credit note"
    verbose_name_plural = "invoices and credit notes"

    def get_queryset(self, request):
        return selectors.invoice_list().defer("pdf")

    @admin.display(description="Number")
    def document_link(self, document):
        url = reverse("admin:invoicing_invoice_change", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, document)

    issued = InvoiceAdmin.issued
    total = InvoiceAdmin.total
    status = InvoiceAdmin.status
    pdf_link = InvoiceAdmin.pdf_link
