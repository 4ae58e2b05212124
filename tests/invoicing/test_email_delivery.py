"""Invoice and credit note emails as received by an SMTP server on loopback, the PDF attached.

The first tests send in this process (Celery eager, as without a broker); the last goes through
a real Celery worker, Redis and PostgreSQL, and is skipped with the reason when they are absent."""

import time

import pytest

from booking import services as booking_services
from invoicing.models import Invoice
from outbox.models import EmailStatus, OutboundEmail

from .conftest import pdf_text


def attachments(message):
    return list(message.iter_attachments())


def received(smtp_server, address, subject_part):
    return [m for m in smtp_server.to(address) if subject_part in m["Subject"]]


def assert_invoice_email(message, invoice):
    assert (
        message["Subject"]
        == f"Invoice {invoice.number} for purchase order NHS-PO-447120 (booking {invoice.booking.reference})"
    )
    text = message.get_body(("plain",)).get_content()
    for words in (
        invoice.number,
        "NHS-PO-447120",
        "£540.00",
        "as a PDF",
        f"{invoice.due_on.day} {invoice.due_on:%B %Y}",
    ):
        assert words in text, words
    assert message.get_body(("html",)) is not None
    [pdf] = attachments(message)
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"Invoice {invoice.number}.pdf"
    content = pdf.get_content()
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert f"Invoice {invoice.number}" in text and "NHS-PO-447120" in text and "£540.00" in text
    return content


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_celery")
def test_the_invoice_and_credit_note_arrive_with_their_pdfs(smtp_server, book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(count=3, purchase_order="NHS-PO-447120")
    invoice = booking.invoices.get()
    [message] = received(smtp_server, booking.contact_email, "Invoice INV-000001")
    content = assert_invoice_email(message, invoice)
    # What was attached is the copy kept on the invoice.
    assert bytes(Invoice.objects.get(pk=invoice.pk).pdf) == content

    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=booking, reason="Ward closed")
    [message] = received(smtp_server, booking.contact_email, "Credit note CN-000001")
    assert "against invoice INV-000001" in message["Subject"]
    [pdf] = attachments(message)
    assert pdf.get_filename() == "Credit note CN-000001.pdf"
    text = pdf_text(pdf.get_content())
    assert "Credit note CN-000001" in text and "Corrects invoice INV-000001" in text and "£540.00" in text
    assert OutboundEmail.objects.filter(kind__in=["invoice_issued", "credit_note_issued"], status="sent").count() == 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_and_attaches_the_pdf(require_postgres, start_worker, smtp_server, book):
    start_worker(EMAIL_URL=smtp_server.url)
    booking = book(count=3, purchase_order="NHS-PO-447120")
    invoice = booking.invoices.get()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not received(smtp_server, booking.contact_email, "Invoice INV-000001"):
        time.sleep(0.1)
    [message] = received(smtp_server, booking.contact_email, "Invoice INV-000001")
    content = assert_invoice_email(message, invoice)
    # The worker rendered it and kept it on the invoice.
    assert bytes(Invoice.objects.get(pk=invoice.pk).pdf) == content
    assert OutboundEmail.objects.get(kind="invoice_issued").status == EmailStatus.SENT
