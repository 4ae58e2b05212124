"""The PDF of an invoice or credit note: rendered once from the row's copied details, then kept.

The copy kept on the row is the one the business must keep, and the one every later email and
download serves, so a change to the templates or settings never changes an issued document.
"""

from django.conf import settings

from core.pdf import render_pdf
from core.templatetags.uk import signed_gbp

from .models import Invoice
from .text import percent_text, quantity_text, uk_day


def context(document):
    lines = [
        {
            "description": line.description,
            "quantity": quantity_text(line.quantity),
            "unit_price": signed_gbp(line.unit_price),
            "net": signed_gbp(line.net),
        }
        for line in document.lines.all()
    ]
    # The supplier as copied when issued: the layout prints these in its header and footer.
    provider = {
        "name": document.supplier_name,
        "address": document.supplier_address,
        "vat_number": document.supplier_vat_number,
        "company_number": document.supplier_company_number,
        "bank_details": document.supplier_bank_details,
    }
    provider = {**settings.PROVIDER, **provider}
    due_days = (document.due_on - document.issued_on).days if document.due_on else None
    return {
        "provider": provider,
        "document": document,
        "lines": lines,
        "booking_reference": document.booking.reference,
        "issued_on": uk_day(document.issued_on),
        "due_on": uk_day(document.due_on) if document.due_on else "",
        "due_days": due_days,
        "vat_percent": percent_text(document.vat_rate),
        "net": signed_gbp(document.net),
        "vat": signed_gbp(document.vat),
        "gross": signed_gbp(document.gross),
        "credited": document.credits,
        "credited_on": uk_day(document.credits.issued_on) if document.credits else "",
    }


def render(document):
    template = "pdf/credit_note.html" if document.is_credit_note else "pdf/invoice.html"
    return render_pdf(template, context(document))


def document_pdf(document):
    """The document's PDF as kept; rendered and kept on first use. Two first uses at once both
    render, and the first to store its copy wins: both copies say the same."""
    if document.pdf is not None:
        return bytes(document.pdf)
    content = render(document)
    Invoice.objects.filter(pk=document.pk, pdf__isnull=True).update(pdf=content)
    kept = Invoice.objects.values_list("pdf", flat=True).get(pk=document.pk)
    document.pdf = kept
    return bytes(kept)


def pdf_by_reference(key):
    """For the outbox: "invoice:<pk>" attachments (invoices and credit notes alike)."""
    return document_pdf(Invoice.objects.select_related("booking", "credits").get(pk=int(key)))
