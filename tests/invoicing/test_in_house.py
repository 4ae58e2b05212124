"""An accepted in-house quote is invoiced for its agreed price, once, however its register changes.

Made through booking.services.in_house_session_create, as quote acceptance makes them."""

from decimal import Decimal

import pytest

from booking import services as booking_services
from tests.booking.in_house_factories import AGREED_NET, make_in_house, register

pytestmark = pytest.mark.django_db


def test_an_accepted_quote_with_a_po_is_invoiced_for_its_agreed_lines():
    booking = make_in_house(purchase_order="PO-778812")
    [invoice] = booking.invoices.all()
    assert invoice.purchase_order == "PO-778812" and invoice.net == AGREED_NET
    assert [(line.description, line.quantity, line.unit_price) for line in invoice.lines.all()] == [
        ("De-escalation Skills, in-house, trainer's day rate", Decimal("2"), Decimal("950.00")),
        ("Trainer's travel", Decimal("1"), Decimal("120.00")),
    ]
    assert invoice.buyer_address == "Accounts Payable, Orwell Valley NHS Foundation Trust, Heath Road, Ipswich IP4 5PD"
    # Staff registering, substituted and removed change no money.
    for n in range(3):
        register(booking.session, n)
    booking_services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk)
    assert booking.invoices.count() == 1


def test_an_accepted_quote_with_po_to_follow_is_invoiced_when_the_po_arrives():
    booking = make_in_house(purchase_order="", po_to_follow=True)
    register(booking.session, 1)
    assert booking.invoices.count() == 0
    booking_services.booking_add_po(booking=booking, purchase_order="RGT-55012")
    [invoice] = booking.invoices.all()
    assert invoice.purchase_order == "RGT-55012" and invoice.gross == AGREED_NET * Decimal("1.2")


def test_an_in_house_course_we_cancel_is_credited_in_full():
    booking = make_in_house()
    booking_services.session_cancel(session=booking.session, reason="Trainer unwell")
    [note] = booking.invoices.filter(kind="credit_note")
    assert note.net == AGREED_NET
