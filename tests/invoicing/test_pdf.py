"""The invoice and credit note PDFs, read back as text: what a UK VAT invoice must show, tagged
for screen readers, and kept as first rendered."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from booking import services as booking_services
from invoicing import services
from invoicing.models import Invoice
from invoicing.pdf import document_pdf, render
from tests.factories import delegates

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def day(value):
    return f"{value:%a} {value.day} {value:%B %Y}"


@pytest.fixture
def invoice(book):
    booking = book(
        count=3,
        purchase_order="NHS-PO-447120",
        organisation="East Suffolk and North Essex NHS Foundation Trust",
        invoice_address="Accounts Payable\nHeath Road\nIpswich IP4 5PD",
    )
    return booking.invoices.get()


def test_the_invoice_shows_what_a_vat_invoice_must(invoice, session, settings):
    text = pdf_text(document_pdf(invoice))
    provider = settings.PROVIDER
    today = timezone.localdate()
    for words in (
        "Invoice INV-000001",
        "Your purchase order number: NHS-PO-447120",
        f"Invoice date and tax point {day(today)}",
        f"Payment due by {day(today + timedelta(days=30))}",
        provider["name"],
        provider["address"],
        f"VAT registration number {provider['vat_number']}",
        "East Suffolk and North Essex NHS Foundation Trust",
        "For the attention of Sam Booker",
        "Accounts Payable Heath Road Ipswich IP4 5PD",
        f"Booking reference {invoice.booking.reference}",
        "Description Quantity Unit price excl. VAT Net amount",
        f"De-escalation Skills, {day(timezone.localtime(session.starts_at))}, Orwell Training Centre, Ipswich: "
        "delegate places 3 £150.00 £450.00",
        "Total excluding VAT £450.00",
        "VAT at 20% £90.00",
        "Total including VAT £540.00",
        "Please pay £540.00 within 30 days",
        "quoting invoice INV-000001 and your purchase order NHS-PO-447120",
        provider["bank_details"],
    ):
        assert words in text, words


def test_the_credit_note_names_the_invoice_and_the_reason(invoice):
    booking_services.booking_cancel(booking=invoice.booking, reason="Ward closed")
    note = Invoice.objects.get(kind="credit_note")
    text = pdf_text(document_pdf(note))
    for words in (
        "Credit note CN-000001",
        "Corrects invoice INV-000001",
        f"Corrects invoice INV-000001, dated {day(timezone.localdate())}",
        "Your purchase order number: NHS-PO-447120",
        "Reason Booking cancelled before booking closed: free of charge, credited in full.",
        "delegate places 3 £150.00 £450.00",
        "Credit excluding VAT £450.00",
        "VAT at 20% £90.00",
        "Credit including VAT £540.00",
        "reduces what is owed on invoice INV-000001 by £540.00",
    ):
        assert words in text, words
    assert "Payment due by" not in text


def test_each_line_of_a_document_is_printed(book):
    booking = book(count=1)
    extra = services.invoice_issue(
        booking=booking,
        lines=[
            {"description": "Course workbooks", "quantity": "12", "unit_price": "4.75"},
            {"description": "Trainer travel (half day)", "quantity": "0.5", "unit_price": "170.00"},
        ],
        reason="Extras",
    )
    text = pdf_text(document_pdf(extra))
    assert "Course workbooks 12 £4.75 £57.00" in text
    assert "Trainer travel (half day) 0.5 £170.00 £85.00" in text
    assert "Total excluding VAT £142.00" in text and "VAT at 20% £28.40" in text and "£170.40" in text


def test_the_pdf_is_tagged_titled_and_in_british_english(invoice):
    reader = PdfReader(io.BytesIO(document_pdf(invoice)))
    root = reader.trailer["/Root"]
    assert reader.metadata.title == "Invoice INV-000001"
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    # A structure tree screen readers follow: one title heading, sections, a real table whose
    # data cells name their header cells.
    tags = structure_tags(root["/StructTreeRoot"])
    assert tags.count("/H1") == 1 and tags.count("/H2") >= 3
    for tag in ("/Table", "/Caption", "/THead", "/TBody", "/TFoot", "/TH", "/TD"):
        assert tag in tags, tag
    assert tags.count("/TH") == 7  # four column headers, three row headers of the totals


def structure_tags(node):
    """The structure types (/H1, /Table, /TH...) of a tagged PDF's structure tree, in order."""
    node = node.get_object()
    if isinstance(node, list):
        return [tag for child in node for tag in structure_tags(child)]
    if not hasattr(node, "get"):
        return []  # a marked-content id: the leaf
    tags = [str(node["/S"])] if "/S" in node else []
    return tags + (structure_tags(node["/K"]) if "/K" in node else [])


def test_the_pdf_is_kept_as_first_rendered(invoice, settings):
    first = document_pdf(invoice)
    invoice.refresh_from_db()
    assert bytes(invoice.pdf) == first
    # New supplier details (or a new template) change no issued document.
    settings.PROVIDER = {**settings.PROVIDER, "name": "Renamed Training Ltd", "vat_number": "GB 999 9999 99"}
    assert document_pdf(Invoice.objects.get(pk=invoice.pk)) == first
    # Even drawn again from the row, it shows what was copied when it was issued.
    text = pdf_text(render(invoice))
    assert "Calm Response Training" in text and "Renamed" not in text and "GB 999" not in text


def test_a_further_invoice_for_added_places(book):
    booking = book(count=2, purchase_order="PO-55")
    booking_services.booking_add_delegates(booking=booking, delegates=delegates(2, prefix="pdf"))
    added = booking.invoices.get(supplementary=True)
    text = pdf_text(document_pdf(added))
    assert "Invoice INV-000002" in text and "delegate places added 2 £150.00 £300.00" in text


def test_a_discount_line_shows_as_minus_pounds(book):
    from booking.models import Booking

    booking = book(count=1, po_to_follow=True)
    agreed = [
        {"description": "De-escalation Skills in-house, per day", "quantity": "2", "unit_price": "950.00"},
        {"description": "Discount: second course booked", "quantity": "1", "unit_price": "-185.50"},
    ]
    Booking.objects.filter(pk=booking.pk).update(agreed_lines=agreed)
    booking_services.booking_add_po(booking=booking, purchase_order="RGT-55012")
    text = pdf_text(document_pdf(booking.invoices.get()))
    assert "De-escalation Skills in-house, per day 2 £950.00 £1,900.00" in text
    assert "Discount: second course booked 1 -£185.50 -£185.50" in text
    assert "Total excluding VAT £1,714.50" in text
