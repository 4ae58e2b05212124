"""Invoice numbers never repeat or skip: several issues at once on PostgreSQL, some rolled back.

These run in real transactions (transaction=True) in several threads, each with its own
database connection, so the counter row's lock is what keeps them apart."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from booking.models import Booking, BookingStatus
from invoicing import services
from invoicing.models import Invoice, InvoiceCounter
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db(transaction=True)


class RolledBack(Exception):
    pass


def confirmed_without_invoice(session, n):
    """A confirmed booking with a PO and, as yet, no invoice (set up behind the services' back)."""
    booking = make_booking(session, count=1, po_to_follow=True, prefix=f"n{n}-d")
    Booking.objects.filter(pk=booking.pk).update(
        status=BookingStatus.CONFIRMED, purchase_order=f"PO-{n:03d}", po_to_follow=False, po_deadline=None
    )
    return Booking.objects.get(pk=booking.pk)


def run_at_once(jobs):
    """Start every job together (a barrier); returns each one's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:  # kept for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_simultaneous_issues_get_consecutive_numbers_and_rollbacks_give_theirs_back(require_postgres):
    session = make_session(capacity=40)
    bookings = [confirmed_without_invoice(session, n) for n in range(12)]
    rolled_back = {1, 4, 7, 10}

    def issue(booking, fail):
        def job():
            with transaction.atomic():
                invoice = services.invoice_issue(booking=booking, reason="Concurrency test")
                if fail:
                    raise RolledBack(invoice.number)  # after taking a number
                return invoice.number

        return job

    results = run_at_once([issue(booking, n in rolled_back) for n, booking in enumerate(bookings)])
    issued = [result for result in results if isinstance(result, str)]
    failures = [result for result in results if not isinstance(result, str)]
    assert all(isinstance(failure, RolledBack) for failure in failures), failures
    assert len(issued) == 8 and len(failures) == 4
    # Gap-free: exactly 1..8, whatever order the threads ran in, none repeated.
    assert sorted(issued) == [f"INV-{n:06d}" for n in range(1, 9)]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == sorted(issued)
    assert InvoiceCounter.objects.get(series="INV").last == 8


def test_an_issue_waiting_on_a_rolled_back_one_takes_its_number(require_postgres):
    session = make_session()
    first, second = confirmed_without_invoice(session, 1), confirmed_without_invoice(session, 2)
    holding, done = threading.Event(), threading.Event()
    results = {}

    def rolled_back():
        try:
            with transaction.atomic():
                results["rolled_back"] = services.invoice_issue(booking=first, reason="Held, then rolled back").number
                holding.set()
                assert not done.wait(timeout=1)  # the other issue waits on the counter meanwhile
                raise RolledBack
        except RolledBack:
            pass
        finally:
            connection.close()

    def waiting():
        try:
            holding.wait(timeout=30)
            results["committed"] = services.invoice_issue(booking=second, reason="Committed").number
            done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=rolled_back), threading.Thread(target=waiting)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {"rolled_back": "INV-000001", "committed": "INV-000001"}
    assert list(Invoice.objects.values_list("number", "booking")) == [("INV-000001", second.pk)]


def test_a_rolled_back_issue_gives_its_number_back(require_postgres):
    session = make_session()
    first, second = confirmed_without_invoice(session, 1), confirmed_without_invoice(session, 2)
    with pytest.raises(RolledBack), transaction.atomic():
        taken = services.invoice_issue(booking=first, reason="Rolled back").number
        raise RolledBack(taken)
    assert taken == "INV-000001" and not Invoice.objects.exists()
    assert services.invoice_issue(booking=second, reason="Committed").number == "INV-000001"
    assert services.invoice_issue(booking=first, reason="Committed").number == "INV-000002"


def test_two_simultaneous_issues_for_one_booking_make_one_invoice(require_postgres):
    booking = confirmed_without_invoice(make_session(), 1)

    def issue():
        return services.invoice_issue(booking=booking, reason="Twice at once").number

    results = run_at_once([issue, issue, issue])
    assert [r for r in results if isinstance(r, str)] == ["INV-000001"]
    refusals = [r for r in results if not isinstance(r, str)]
    assert len(refusals) == 2 and all(isinstance(r, ValidationError) for r in refusals), refusals
    assert all("already has its invoice, INV-000001" in str(r) for r in refusals)
    assert InvoiceCounter.objects.get(series="INV").last == 1


def test_simultaneous_credit_notes_never_credit_more_than_the_invoice(require_postgres):
    session = make_session()
    booking = make_booking(session, count=2)  # £300.00 + VAT, invoiced at once
    invoice = booking.invoices.get()

    def credit():
        return services.credit_note_issue(invoice=invoice, amount="200.00", reason="At once").number

    results = run_at_once([credit, credit, credit])
    assert [r for r in results if isinstance(r, str)] == ["CN-000001"]
    assert all(isinstance(r, ValidationError) for r in results if not isinstance(r, str))
    assert services.remaining(invoice)["net"] == invoice.net - 200


def test_control_a_postgresql_sequence_would_skip_the_number_of_a_rolled_back_issue(require_postgres):
    # Why the counter is a locked row and not a SEQUENCE: nextval() is not undone by a rollback.
    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE invoice_control_seq")
    try:
        with pytest.raises(RolledBack), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT nextval('invoice_control_seq')")
            assert cursor.fetchone()[0] == 1
            raise RolledBack
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('invoice_control_seq')")
            assert cursor.fetchone()[0] == 2  # 1 is gone: a gap
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP SEQUENCE invoice_control_seq")
