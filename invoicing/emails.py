"""Invoice and credit note emails: their kinds and placeholders, and queueing one per document.

Each goes to the booker with the document's PDF attached by reference ("invoice:<pk>"), so
the outbox row holds no copy: the PDF kept on the invoice is attached when the email is sent.
"""

from django.conf import settings

from core.templatetags.uk import signed_gbp
from outbox import registry
from outbox.services import Email

from .text import percent_text, quantity_text, uk_day

COMMON = {
    "reference": "The booking reference, for example K7PX3M9Q",
    "course": "The course title",
    "organisation": "The organisation invoiced",
    "booker_name": "The booker's name",
    "invoice_po": "The purchase order number the document quotes",
    "vat_rate": "The VAT rate, for example 20%",
}
KINDS = {
    "invoice_issued": (
        "Invoice, with its PDF (booker)",
        {
            **COMMON,
            "invoice_number": "The invoice number, for example INV-000012",
            "invoice_date": "The invoice date (the tax point)",
            "invoice_due": "The date payment is due",
            "invoice_for": "What the invoice is for: its lines, one a line",
            "invoice_net": "The total excluding VAT",
            "invoice_vat": "The VAT amount",
            "invoice_total": "The total including VAT",
            "bank_details": "Our bank details for payment",
        },
    ),
    "credit_note_issued": (
        "Credit note, with its PDF (booker)",
        {
            **COMMON,
            "credit_note_number": "The credit note number, for example CN-000003",
            "credit_note_date": "The credit note's date",
            "credited_invoice": "The number of the invoice it corrects",
            "credit_reason": "Why the credit note was issued",
            "credit_net": "The credit excluding VAT",
            "credit_vat": "The VAT credited",
            "credit_total": "The credit including VAT",
        },
    ),
}

for _name, (_label, _placeholders) in KINDS.items():
    registry.register(_name, _label, _placeholders)


def _lines_text(document):
    return "\n".join(
        f"{line.description}: {quantity_text(line.quantity)} × {signed_gbp(line.unit_price)} = {signed_gbp(line.net)}"
        for line in document.lines.all()
    )


def placeholders(document):
    booking = document.booking
    values = {
        "reference": booking.reference,
        "course": booking.session.course.title,
        "organisation": document.buyer_organisation,
        "booker_name": document.buyer_contact_name,
        "invoice_po": document.purchase_order,
        "vat_rate": percent_text(document.vat_rate),
    }
    if document.is_credit_note:
        return {
            **values,
            "credit_note_number": document.number,
            "credit_note_date": uk_day(document.issued_on),
            "credited_invoice": document.credits.number,
            "credit_reason": document.reason,
            "credit_net": signed_gbp(document.net),
            "credit_vat": signed_gbp(document.vat),
            "credit_total": signed_gbp(document.gross),
        }
    return {
        **values,
        "invoice_number": document.number,
        "invoice_date": uk_day(document.issued_on),
        "invoice_due": uk_day(document.due_on),
        "invoice_for": _lines_text(document),
        "invoice_net": signed_gbp(document.net),
        "invoice_vat": signed_gbp(document.vat),
        "invoice_total": signed_gbp(document.gross),
        "bank_details": document.supplier_bank_details,
    }


def queue_document_email(document):
    """Queue the document's email to the booker, in the caller's transaction (sent after commit,
    once: the key is the document's number)."""
    from booking import notifications

    # The demo loader books invented people with booking emails suppressed: theirs too. Inside a
    # batch (a session cancelled) the email joins the batch's one insert.
    if notifications.is_suppressed():
        return 0
    kind = "credit_note_issued" if document.is_credit_note else "invoice_issued"
    notifications.queue(
        [
            Email(
                kind=kind,
                to=[document.buyer_email],
                unique_key=f"{kind}:{document.number}",
                placeholders=placeholders(document),
                attachments=[registry.document_attachment(f"invoice:{document.pk}", document.filename)],
                booking=document.booking,
                reply_to=[settings.PROVIDER["email"]],
            )
        ]
    )
    return 1
