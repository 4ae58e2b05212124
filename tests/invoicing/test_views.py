"""The booker downloads their invoices and credit notes with the booking's manage token."""

import pytest
from django.urls import reverse

from booking import links
from booking import services as booking_services
from booking.models import Booking

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def url(token, number):
    return reverse("invoicing:booker_pdf", kwargs={"token": token, "number": number})


def test_the_booker_downloads_their_invoice_and_credit_note(client, book):
    booking = book(count=2, purchase_order="NHS-PO-447120")
    booking_services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk)
    token = links.manage_token(booking)
    response = client.get(url(token, "INV-000001"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Invoice INV-000001.pdf"'
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    text = pdf_text(response.content)
    assert "Invoice INV-000001" in text and "NHS-PO-447120" in text
    note = client.get(url(token, "CN-000001"))
    assert note.status_code == 200 and "Credit note CN-000001" in pdf_text(note.content)
    assert url(token, "INV-000001").startswith("/invoices/")


def test_a_bad_token_or_another_bookings_number_is_a_404(client, book):
    mine = book(count=1, purchase_order="PO-MINE")
    theirs = book(count=1, purchase_order="PO-THEIRS")
    token = links.manage_token(mine)
    theirs_number = theirs.invoices.get().number
    for bad in (
        url(token[:-2] + "xx", "INV-000001"),  # tampered
        url("not-a-token", "INV-000001"),
        url(links.confirm_token(mine), "INV-000001"),  # another kind of link
        url(token, theirs_number),  # a real invoice, of another booking
        url(token, "INV-999999"),
    ):
        assert client.get(bad).status_code == 404, bad
    assert client.post(url(token, "INV-000001")).status_code == 405


def test_a_new_manage_link_revokes_the_old_one_here_too(client, book):
    booking = book(count=1)
    old = links.manage_token(booking)
    booking_services.booking_new_manage_link(booking=booking)
    booking = Booking.objects.get(pk=booking.pk)
    assert client.get(url(old, "INV-000001")).status_code == 404
    assert client.get(url(links.manage_token(booking), "INV-000001")).status_code == 200


def test_the_invoice_is_still_there_after_the_course_while_the_manage_page_is_not(client, book):
    from datetime import timedelta

    from django.utils import timezone

    from booking.models import CourseSession

    booking = book(count=1)
    token = links.manage_token(booking)
    past = timezone.now() - timedelta(days=2)
    CourseSession.objects.filter(pk=booking.session_id).update(
        starts_at=past - timedelta(hours=7), ends_at=past, booking_closes_at=past - timedelta(days=1)
    )
    assert client.get(reverse("booking:manage", args=[token])).status_code == 404
    assert client.get(url(token, "INV-000001")).status_code == 200  # payment is due 30 days after issue
