"""When invoices are issued and what each booking change credits, through the real booking services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking import services as booking_services
from booking.models import Booking, BookingStatus, CourseSession
from invoicing import services
from invoicing.models import Invoice, InvoiceCounter, InvoiceLine, IssuedDocumentError
from outbox.models import OutboundEmail
from tests.factories import delegates, make_booking

pytestmark = pytest.mark.django_db

D = Decimal


def invoices(booking):
    return list(booking.invoices.filter(kind="invoice").order_by("pk"))


def credit_notes(booking):
    return list(booking.invoices.filter(kind="credit_note").order_by("pk"))


def lines(document):
    return [(line.description, line.quantity, line.unit_price, line.net) for line in document.lines.all()]


def close_booking(session):
    """Booking on the session closed an hour ago (the course is still to come)."""
    CourseSession.objects.filter(pk=session.pk).update(booking_closes_at=timezone.now() - timedelta(hours=1))
    session.refresh_from_db()


def with_agreed_lines(booking, agreed):
    Booking.objects.filter(pk=booking.pk).update(agreed_lines=agreed)
    booking.refresh_from_db()
    return booking


AGREED = [
    {
        "description": "De-escalation Skills, in-house, 2 days for up to 14 delegates",
        "quantity": "2",
        "unit_price": "950.00",
    },
    {"description": "Trainer travel", "quantity": "1", "unit_price": "85.50"},
]


# Issued once, when the booking is confirmed with a PO -------------------------------------------


def test_a_booking_confirmed_with_a_po_is_invoiced_at_once(book, session, settings):
    booking = book(count=3, purchase_order="NHS-PO-447120")
    [invoice] = invoices(booking)
    assert invoice.number == "INV-000001"
    assert (invoice.net, invoice.vat, invoice.gross) == (D("450.00"), D("90.00"), D("540.00"))
    assert invoice.vat_rate == D("0.20")
    assert lines(invoice) == [
        (
            f"De-escalation Skills, {timezone.localtime(session.starts_at):%a} "
            f"{timezone.localtime(session.starts_at).day} {timezone.localtime(session.starts_at):%B %Y}, "
            "Orwell Training Centre, Ipswich: delegate places",
            D("3.000"),
            D("150.00"),
            D("450.00"),
        )
    ]
    assert invoice.due_on == timezone.localdate() + timedelta(days=30)
    assert invoice.event.kind == "created"
    # Everything printed is copied onto the invoice.
    assert invoice.purchase_order == "NHS-PO-447120"
    assert (invoice.buyer_organisation, invoice.buyer_contact_name, invoice.buyer_email) == (
        "East Coast NHS Trust",
        "Sam Booker",
        "sam.booker@example.org",
    )
    assert invoice.buyer_address == "Finance, 1 Hospital Road, Ipswich IP4 5PD"
    provider = settings.PROVIDER
    assert (invoice.supplier_name, invoice.supplier_address, invoice.supplier_vat_number) == (
        provider["name"],
        provider["address"],
        provider["vat_number"],
    )


def test_the_due_date_follows_the_setting(book, settings):
    settings.INVOICE_DUE_DAYS = 14
    [invoice] = invoices(book())
    assert invoice.due_on == timezone.localdate() + timedelta(days=14)


def test_no_po_no_invoice_until_the_po_arrives(book):
    booking = book(count=2, po_to_follow=True)
    assert booking.status == BookingStatus.AWAITING_PO
    assert invoices(booking) == []
    booking_services.booking_add_po(booking=booking, purchase_order="PO 2026/118")
    [invoice] = invoices(booking)
    assert invoice.purchase_order == "PO 2026/118"
    assert invoice.event.kind == "po_added"
    assert invoice.gross == D("360.00")


def test_a_po_replaced_after_invoicing_credits_the_old_invoice_and_invoices_again_under_the_new(book, session):
    booking = book(count=2, purchase_order="PO-OLD-1")
    [old] = invoices(booking)
    booking_services.booking_add_po(booking=booking, purchase_order="PO-NEW-2", by_staff=True)
    [credit] = credit_notes(booking)
    assert (credit.credits, credit.purchase_order, credit.gross) == (old, "PO-OLD-1", old.gross)
    assert "PO-OLD-1 to PO-NEW-2" in credit.reason
    [_old, new] = invoices(booking)
    assert (new.purchase_order, new.gross) == ("PO-NEW-2", old.gross)
    assert lines(new) == lines(old)
    assert services.remaining(old)["gross"] == 0
    emails = OutboundEmail.objects.filter(booking=booking, kind__in=["credit_note_issued", "invoice_issued"])
    assert emails.count() == 3  # the first invoice, its credit note, the new invoice

    # The same PO again changes nothing.
    booking_services.booking_add_po(booking=booking, purchase_order="PO-NEW-2", by_staff=True)
    assert (len(invoices(booking)), len(credit_notes(booking))) == (2, 1)


def test_a_po_replaced_after_a_partial_credit_invoices_the_balance(book):
    booking = book(count=2, purchase_order="PO-OLD-1")
    [old] = invoices(booking)
    booking_services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk)
    booking_services.booking_add_po(booking=booking, purchase_order="PO-NEW-2", by_staff=True)
    new = invoices(booking)[-1]
    assert lines(new) == [(f"Balance of invoice {old.number}", D("1.000"), D("150.00"), D("150.00"))]
    assert new.purchase_order == "PO-NEW-2" and services.remaining(old)["net"] == 0


def test_a_public_booking_is_invoiced_when_the_booker_confirms_their_email(book):
    booking = book(count=1, email_confirmation=True)
    assert booking.status == BookingStatus.UNCONFIRMED and invoices(booking) == []
    booking_services.booking_confirm_email(booking=booking)
    [invoice] = invoices(booking)
    assert invoice.event.kind == "email_confirmed"


def test_confirming_the_email_of_a_po_to_follow_booking_waits_for_the_po(book):
    booking = book(count=1, email_confirmation=True, po_to_follow=True)
    booking_services.booking_confirm_email(booking=booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PO and invoices(booking) == []


def test_a_booking_promoted_from_the_waiting_list_with_a_po_is_invoiced(session):
    CourseSession.objects.filter(pk=session.pk).update(capacity=3)
    session.refresh_from_db()
    first = make_booking(session, count=3, purchase_order="PO-A")
    waiting = make_booking(session, count=2, purchase_order="PO-B", join_waitlist=True)
    waiting_without_po = make_booking(session, count=1, po_to_follow=True, join_waitlist=True)
    assert waiting.status == BookingStatus.WAITLISTED and invoices(waiting) == []
    booking_services.booking_cancel(booking=first, reason="Ward closed")
    waiting.refresh_from_db()
    waiting_without_po.refresh_from_db()
    assert waiting.status == BookingStatus.CONFIRMED
    [invoice] = invoices(waiting)
    assert invoice.event.kind == "promoted" and invoice.purchase_order == "PO-B"
    assert waiting_without_po.status == BookingStatus.AWAITING_PO and invoices(waiting_without_po) == []


def test_never_invoiced_twice(book):
    booking = book(count=2)
    # The PO given again does not issue a second invoice (a different one credits and re-invoices).
    booking_services.booking_add_po(booking=booking, purchase_order=booking.purchase_order, by_staff=True)
    assert len(invoices(booking)) == 1
    with pytest.raises(ValidationError) as error:
        services.invoice_issue(booking=booking, reason="Again")
    assert "already has its invoice, INV-000001" in str(error.value)
    # The database holds to it too, whatever the code does.
    [invoice] = invoices(booking)
    copy = Invoice(
        **{
            f.attname: getattr(invoice, f.attname)
            for f in Invoice._meta.concrete_fields
            if f.name not in ("id", "number", "event")
        },
        number="INV-999999",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_an_in_house_booking_is_invoiced_for_exactly_its_agreed_lines(book):
    booking = with_agreed_lines(book(count=3, po_to_follow=True), AGREED)
    booking_services.booking_add_po(booking=booking, purchase_order="RGT-55012")
    [invoice] = invoices(booking)
    assert lines(invoice) == [
        ("De-escalation Skills, in-house, 2 days for up to 14 delegates", D("2.00"), D("950.00"), D("1900.00")),
        ("Trainer travel", D("1.00"), D("85.50"), D("85.50")),
    ]
    assert (invoice.net, invoice.vat, invoice.gross) == (D("1985.50"), D("397.10"), D("2382.60"))


def test_a_discount_line_of_an_agreed_price_is_invoiced_as_it_was_agreed(book):
    discounted = [*AGREED, {"description": "Discount: second course booked", "quantity": "1", "unit_price": "-185.50"}]
    booking = with_agreed_lines(book(count=1, po_to_follow=True), discounted)
    booking_services.booking_add_po(booking=booking, purchase_order="RGT-55012")
    [invoice] = invoices(booking)
    assert lines(invoice)[-1] == ("Discount: second course booked", D("1.000"), D("-185.50"), D("-185.50"))
    assert (invoice.net, invoice.vat, invoice.gross) == (D("1800.00"), D("360.00"), D("2160.00"))


def test_an_agreed_price_of_nothing_is_not_invoiced(book):
    free = [{"description": "Pilot session", "quantity": "1", "unit_price": "100.00"}]
    free.append({"description": "Pilot discount", "quantity": "1", "unit_price": "-100.00"})
    booking = with_agreed_lines(book(count=1, po_to_follow=True), free)
    booking_services.booking_add_po(booking=booking, purchase_order="RGT-1")
    assert booking.invoices.count() == 0


def test_a_free_booking_is_not_invoiced(session):
    CourseSession.objects.filter(pk=session.pk).update(price=D("0.00"))
    session.refresh_from_db()
    booking = make_booking(session, count=2)
    assert booking.status == BookingStatus.CONFIRMED and invoices(booking) == []


# After invoicing: places added and removed -------------------------------------------------------


def test_places_added_after_invoicing_get_a_further_invoice(book):
    booking = book(count=2)
    booking_services.booking_add_delegates(booking=booking, delegates=delegates(2, prefix="added"))
    first, added = invoices(booking)
    assert (first.supplementary, added.supplementary) == (False, True)
    assert added.number == "INV-000002"
    assert lines(added)[0][1:] == (D("2.00"), D("150.00"), D("300.00"))
    assert lines(added)[0][0].endswith(": delegate places added")
    assert added.gross == D("360.00") and added.event.kind == "delegate_added"


def test_places_added_before_the_po_are_on_the_one_invoice(book):
    booking = book(count=1, po_to_follow=True)
    booking_services.booking_add_delegates(booking=booking, delegates=delegates(2, prefix="early"))
    booking_services.booking_add_po(booking=booking, purchase_order="PO-3")
    [invoice] = invoices(booking)
    assert lines(invoice)[0][1] == D("3.00")


def test_a_place_removed_before_booking_closes_is_credited_in_full(book):
    booking = book(count=3)
    delegate = booking.delegates.first()
    booking_services.booking_remove_delegate(booking=booking, delegate_id=delegate.pk)
    [invoice] = invoices(booking)
    [note] = credit_notes(booking)
    assert note.number == "CN-000001" and note.credits == invoice
    assert (note.net, note.vat, note.gross) == (D("150.00"), D("30.00"), D("180.00"))
    assert f"({delegate.name})" in lines(note)[0][0]
    assert note.reason == f"Delegate place cancelled ({delegate.name}) before booking closed: credited in full."
    assert note.purchase_order == invoice.purchase_order and note.due_on is None


@pytest.mark.parametrize(
    ("kept", "credited"),
    [(D("100"), None), (D("50"), D("75.00")), (D("0"), D("150.00"))],
)
def test_a_place_removed_after_booking_closes_keeps_the_late_charge(book, session, settings, kept, credited):
    settings.LATE_CANCELLATION_CHARGE_PERCENT = kept
    booking = book(count=3)
    close_booking(session)
    booking_services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk, by_staff=True)
    notes = credit_notes(booking)
    if credited is None:
        assert notes == []  # nothing to credit: no credit note for £0
        return
    [note] = notes
    assert note.net == credited
    assert "after booking closed on" in note.reason


def test_removing_a_delegate_from_an_in_house_booking_changes_no_money(book):
    booking = with_agreed_lines(book(count=3, po_to_follow=True), AGREED)
    booking_services.booking_add_po(booking=booking, purchase_order="RGT-55012")
    booking_services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk)
    booking_services.booking_add_delegates(booking=booking, delegates=delegates(2, prefix="inhouse"))
    assert len(invoices(booking)) == 1 and credit_notes(booking) == []


# Cancellations ----------------------------------------------------------------------------------


def test_a_booking_cancelled_before_booking_closes_is_credited_in_full(book):
    booking = book(count=3)
    booking_services.booking_cancel(booking=booking, reason="Ward closed")
    [invoice] = invoices(booking)
    [note] = credit_notes(booking)
    # It mirrors the invoice, line for line, and takes it to nothing, to the penny.
    assert lines(note) == lines(invoice)
    assert (note.net, note.vat, note.gross) == (invoice.net, invoice.vat, invoice.gross)
    assert services.remaining(invoice) == {"net": D("0.00"), "vat": D("0.00"), "gross": D("0.00")}
    assert note.reason == "Booking cancelled before booking closed: free of charge, credited in full."


def test_a_cancellation_credits_every_invoice_of_the_booking(book):
    booking = book(count=2)
    booking_services.booking_add_delegates(booking=booking, delegates=delegates(1, prefix="more"))
    booking_services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk)
    booking_services.booking_cancel(booking=booking)
    first, added = invoices(booking)
    assert [note.credits for note in credit_notes(booking)] == [first, first, added]
    assert all(services.remaining(invoice)["gross"] == 0 for invoice in (first, added))
    # The first invoice was already partly credited: the rest is its balance, not its lines again.
    assert lines(credit_notes(booking)[1]) == [("Balance of invoice INV-000001", D("1.00"), D("150.00"), D("150.00"))]


@pytest.mark.parametrize(("kept", "credited"), [(D("100"), None), (D("25"), D("337.50")), (D("0"), D("450.00"))])
def test_a_booking_cancelled_after_booking_closes_keeps_the_late_charge(book, session, settings, kept, credited):
    settings.LATE_CANCELLATION_CHARGE_PERCENT = kept
    booking = book(count=3)
    close_booking(session)
    booking_services.booking_cancel(booking=booking, by_staff=True, actor="staff:olivia")
    notes = credit_notes(booking)
    if credited is None:
        assert notes == []
        return
    [note] = notes
    assert note.net == credited
    assert note.vat == (credited * D("0.20")).quantize(D("0.01"))


def test_a_late_removal_then_a_late_cancellation_keep_the_charge_once(book, session, settings):
    settings.LATE_CANCELLATION_CHARGE_PERCENT = D("50")
    booking = book(count=3)  # £450.00
    close_booking(session)
    booking_services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk, by_staff=True)
    booking_services.booking_cancel(booking=booking, by_staff=True)
    removal, cancellation = credit_notes(booking)
    assert (removal.net, cancellation.net) == (D("75.00"), D("150.00"))
    # Half of every place is kept: £225.00 of £450.00.
    assert services.remaining(invoices(booking)[0])["net"] == D("225.00")


def test_an_in_house_booking_cancelled_late_keeps_the_charge_on_the_agreed_price(book, session, settings):
    settings.LATE_CANCELLATION_CHARGE_PERCENT = D("40")
    booking = with_agreed_lines(book(count=3, po_to_follow=True), AGREED)
    booking_services.booking_add_po(booking=booking, purchase_order="RGT-55012")
    close_booking(session)
    booking_services.booking_cancel(booking=booking, by_staff=True)
    [note] = credit_notes(booking)
    assert note.net == D("1191.30")  # 60% of £1,985.50


def test_a_session_we_cancel_is_credited_in_full_even_after_booking_closes(book, session, settings):
    settings.LATE_CANCELLATION_CHARGE_PERCENT = D("100")
    paid = book(count=2)
    other = book(count=1, purchase_order="PO-OTHER")
    unpaid_po = book(count=1, po_to_follow=True)
    close_booking(session)
    booking_services.session_cancel(session=session, reason="Trainer unwell")
    for booking in (paid, other):
        [invoice] = invoices(booking)
        [note] = credit_notes(booking)
        assert note.gross == invoice.gross
        assert note.reason == "The session was cancelled by us: everything invoiced is credited in full."
    assert unpaid_po.invoices.count() == 0


def test_a_booking_never_invoiced_is_cancelled_without_paperwork(book):
    booking = book(count=2, po_to_follow=True)
    booking_services.booking_cancel(booking=booking)
    assert booking.invoices.count() == 0


# The services on their own ----------------------------------------------------------------------


def test_credit_note_by_amount_and_its_limit(book):
    booking = book(count=2)  # £300.00 + VAT
    [invoice] = invoices(booking)
    note = services.credit_note_issue(invoice=invoice, amount="100.00", reason="Goodwill: late start on the day")
    assert lines(note) == [("Goodwill: late start on the day", D("1.00"), D("100.00"), D("100.00"))]
    assert (note.net, note.vat, note.gross) == (D("100.00"), D("20.00"), D("120.00"))
    numbers, emails = InvoiceCounter.objects.get(series="CN").last, OutboundEmail.objects.count()
    with pytest.raises(ValidationError) as error:
        services.credit_note_issue(invoice=invoice, amount="200.01", reason="Too much")
    assert error.value.message_dict == {
        "amount": ["Credit at most £200.00 excluding VAT: that is what is left of INV-000001."]
    }
    # Bad input changes nothing: no document, no number taken, no email.
    assert credit_notes(booking) == [note]
    assert InvoiceCounter.objects.get(series="CN").last == numbers and OutboundEmail.objects.count() == emails
    rest = services.credit_note_issue(invoice=invoice, amount="200.00", reason="The rest")
    assert rest.vat == D("40.00") and services.remaining(invoice)["gross"] == 0


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"amount": "-5"}, {"amount": ["Enter an amount more than £0.00, in pounds and pence."]}),
        ({"amount": "abc"}, {"amount": ["Enter an amount more than £0.00, in pounds and pence."]}),
        ({"amount": "1.005"}, {"amount": ["Enter an amount more than £0.00, in pounds and pence."]}),
        ({}, {"amount": ["Give either the lines to credit or an amount, not both."]}),
        (
            {"amount": "5", "lines": [{"description": "x", "quantity": 1, "unit_price": 5}]},
            {"amount": ["Give either the lines to credit or an amount, not both."]},
        ),
        ({"lines": []}, {"lines": ["Add at least one line."]}),
        (
            {"lines": [{"description": "Refund", "quantity": "1", "unit_price": "-10"}]},
            {"lines": ["The total must be more than £0.00."]},
        ),
        (
            {"lines": [{"description": "Refund", "quantity": "1", "unit_price": "10.001"}]},
            {"lines[0].unit_price": ["Enter a unit price in pounds and pence, for example 150.00."]},
        ),
        (
            {"lines": [{"description": " ", "quantity": "0", "unit_price": "10"}]},
            {
                "lines[0].description": ["Enter a description."],
                "lines[0].quantity": ["Enter a quantity more than 0, for example 3 or 1.5."],
            },
        ),
        ({"amount": "5", "reason": "  "}, {"reason": ["Give the reason for this document."]}),
    ],
)
def test_a_bad_credit_note_says_why_and_changes_nothing(book, kwargs, errors):
    [invoice] = invoices(book(count=2))
    kwargs = {"reason": "Correction", **kwargs}
    with pytest.raises(ValidationError) as error:
        services.credit_note_issue(invoice=invoice, **kwargs)
    assert error.value.message_dict == errors
    assert Invoice.objects.filter(kind="credit_note").count() == 0
    assert not InvoiceCounter.objects.filter(series="CN", last__gt=0).exists()


def test_a_credit_note_is_not_credited(book):
    booking = book(count=2)
    booking_services.booking_cancel(booking=booking)
    [note] = credit_notes(booking)
    with pytest.raises(ValidationError, match="a credit note corrects an invoice"):
        services.credit_note_issue(invoice=note, amount="1", reason="x")


def test_a_further_invoice_by_hand_and_bad_lines(book):
    booking = book(count=1)
    extra = services.invoice_issue(
        booking=booking,
        lines=[{"description": "Course workbooks", "quantity": "12", "unit_price": "4.75"}],
        reason="Workbooks ordered by phone",
    )
    assert extra.supplementary and extra.net == D("57.00") and extra.vat == D("11.40")
    with pytest.raises(ValidationError) as error:
        services.invoice_issue(
            booking=booking,
            lines=[
                {"description": "Workbooks", "quantity": "2", "unit_price": "-4.75"},
                {"description": "Lanyards", "quantity": "x", "unit_price": "1.00"},
            ],
            reason="More",
        )
    assert error.value.message_dict == {"lines[1].quantity": ["Enter a quantity more than 0, for example 3 or 1.5."]}
    with pytest.raises(ValidationError) as error:
        services.invoice_issue(
            booking=booking, lines=[{"description": "Nothing", "quantity": 1, "unit_price": 0}], reason="x"
        )
    assert error.value.message_dict == {"lines": ["The total must be more than £0.00."]}
    assert len(invoices(booking)) == 2


def test_a_cancelled_booking_is_not_invoiced_by_hand(book):
    booking = book(count=1)
    booking_services.booking_cancel(booking=booking)
    with pytest.raises(ValidationError) as error:
        services.invoice_issue(
            booking=booking, lines=[{"description": "Late fee", "quantity": 1, "unit_price": 10}], reason="x"
        )
    assert error.value.message_dict == {"booking": ["This booking is cancelled: there is nothing to invoice."]}


def test_an_invoice_needs_the_po(book):
    booking = book(count=1, po_to_follow=True)
    with pytest.raises(ValidationError) as error:
        services.invoice_issue(booking=booking, reason="Early")
    assert error.value.message_dict == {
        "booking": ["Add the booking's purchase order number first: an invoice without one is returned unpaid."]
    }


def test_vat_is_rounded_half_up_and_a_full_credit_takes_exactly_what_is_left(session):
    CourseSession.objects.filter(pk=session.pk).update(price=D("10.04"))
    session.refresh_from_db()
    booking = make_booking(session, count=3)
    [invoice] = invoices(booking)
    assert (invoice.net, invoice.vat, invoice.gross) == (D("30.12"), D("6.02"), D("36.14"))  # 6.024
    booking_services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk)
    [removal] = credit_notes(booking)
    assert (removal.net, removal.vat) == (D("10.04"), D("2.01"))  # 2.008, half up
    booking_services.booking_cancel(booking=booking)
    rest = credit_notes(booking)[1]
    # 20% of £20.08 would be £4.02; what is left of the invoice's VAT is £4.01, and that is credited.
    assert (rest.net, rest.vat) == (D("20.08"), D("4.01"))
    assert services.remaining(invoice) == {"net": D("0.00"), "vat": D("0.00"), "gross": D("0.00")}


def test_the_vat_rate_is_the_one_at_issue(book, settings):
    [invoice] = invoices(book(count=1))
    settings.VAT_RATE = D("0.175")
    note = services.credit_note_issue(invoice=invoice, amount="150.00", reason="Cancelled")
    invoice.refresh_from_db()
    assert invoice.vat_rate == D("0.20") and note.vat_rate == D("0.20") and note.vat == D("30.00")


# Never edited --------------------------------------------------------------------------------------


def test_an_issued_invoice_is_never_edited_only_its_payment(book, admin_user):
    [invoice] = invoices(book(count=2))
    invoice.net = D("1.00")
    with pytest.raises(IssuedDocumentError):
        invoice.save()
    with pytest.raises(IssuedDocumentError):
        invoice.save(update_fields=["net"])
    with pytest.raises(IssuedDocumentError):
        Invoice.objects.filter(pk=invoice.pk).update(purchase_order="CHANGED")
    with pytest.raises(IssuedDocumentError):
        invoice.delete()
    with pytest.raises(IssuedDocumentError):
        Invoice.objects.all().delete()
    line = invoice.lines.get()
    line.unit_price = D("1.00")
    with pytest.raises(IssuedDocumentError):
        line.save()
    with pytest.raises(IssuedDocumentError):
        InvoiceLine.objects.update(unit_price=D("1.00"))
    invoice.refresh_from_db()
    assert invoice.net == D("300.00") and invoice.lines.get().unit_price == D("150.00")
    # The payment record is the part that changes.
    paid = services.invoice_mark_paid(invoice=invoice, paid_on=timezone.localdate(), user=admin_user)
    assert paid.paid_on == timezone.localdate() and paid.paid_recorded_by == admin_user.username


def test_marking_paid_and_unpaid(book, admin_user):
    booking = book(count=2)
    [invoice] = invoices(booking)
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.invoice_mark_paid(invoice=invoice, paid_on=timezone.localdate() + timedelta(days=1), user=admin_user)
    assert error.value.message_dict == {"paid_on": ["Enter a payment date that is today or earlier."]}
    services.invoice_mark_paid(invoice=invoice, paid_on=yesterday, user=admin_user)
    with pytest.raises(ValidationError, match="already marked paid"):
        services.invoice_mark_paid(invoice=invoice, paid_on=yesterday, user=admin_user)
    services.invoice_mark_unpaid(invoice=invoice, user=admin_user)
    invoice.refresh_from_db()
    assert invoice.paid_on is None
    with pytest.raises(ValidationError, match="is not marked paid"):
        services.invoice_mark_unpaid(invoice=invoice, user=admin_user)
    booking_services.booking_cancel(booking=booking)
    with pytest.raises(ValidationError, match="credited in full"):
        services.invoice_mark_paid(invoice=invoice, paid_on=yesterday, user=admin_user)
    [note] = credit_notes(booking)
    with pytest.raises(ValidationError, match="is a credit note: only invoices are paid"):
        services.invoice_mark_paid(invoice=note, paid_on=yesterday, user=admin_user)


# Emails -------------------------------------------------------------------------------------------


def test_each_document_is_emailed_to_the_booker_once_with_its_pdf_by_reference(book):
    booking = book(count=2, purchase_order="NHS-PO-447120")
    booking_services.booking_cancel(booking=booking)
    [invoice] = invoices(booking)
    [note] = credit_notes(booking)
    issued = OutboundEmail.objects.get(kind="invoice_issued")
    assert issued.to == ["sam.booker@example.org"] and issued.booking == booking
    assert issued.unique_key == "invoice_issued:INV-000001"
    assert issued.attachments == [
        {"filename": "Invoice INV-000001.pdf", "mimetype": "application/pdf", "document": f"invoice:{invoice.pk}"}
    ]
    for words in ("INV-000001", "NHS-PO-447120", "£360.00", "PDF", invoice.due_on.strftime("%-d %B %Y")):
        assert words in issued.body_text, words
    assert "NHS-PO-447120" in issued.subject
    credited = OutboundEmail.objects.get(kind="credit_note_issued")
    assert credited.attachments[0]["document"] == f"invoice:{note.pk}"
    assert credited.attachments[0]["filename"] == "Credit note CN-000001.pdf"
    for words in ("CN-000001", "INV-000001", "NHS-PO-447120", "£360.00", note.reason):
        assert words in credited.body_text, words


def test_a_change_that_rolls_back_leaves_no_invoice_no_email_and_no_number(book, session):
    booking = book(count=1, po_to_follow=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        booking_services.booking_add_po(booking=booking, purchase_order="PO-9")
        assert Invoice.objects.count() == 1
        raise RuntimeError("the request failed after the PO was added")
    assert Invoice.objects.count() == 0 and not OutboundEmail.objects.filter(kind="invoice_issued").exists()
    booking_services.booking_add_po(booking=booking, purchase_order="PO-9")
    assert invoices(booking)[0].number == "INV-000001"  # the number came back
