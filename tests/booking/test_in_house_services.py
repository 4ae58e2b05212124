"""In-house sessions through the real services: the host booking made at quote acceptance, staff
registering from the private link up to capacity, the coordinator's changes, the PO chased but
never releasing the course."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from booking import reminders, services
from booking.models import Booking, BookingEvent, BookingStatus, CourseSession, Delegate, SessionStatus, Venue
from booking.services import CourseFull, RegistrationClosed
from outbox.models import OutboundEmail
from tests.booking.in_house_factories import AGREED_NET, in_house_days, in_house_fields, make_in_house, register
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def written():
    """What creating or registering writes, to prove a refusal wrote nothing."""
    return (
        CourseSession.objects.count(),
        Venue.objects.count(),
        Booking.objects.count(),
        Delegate.objects.count(),
        BookingEvent.objects.count(),
        OutboundEmail.objects.count(),
    )


def sent(kind, to=None):
    rows = OutboundEmail.objects.filter(kind=kind).order_by("pk")
    return [row for row in rows if to is None or to in row.to]


# Creating the session and its host booking ------------------------------------------------------


def test_create_makes_a_private_session_at_the_clients_site_with_one_host_booking():
    course = CourseFactory(title="De-escalation Skills", price=Decimal("145.00"))
    days = in_house_days(starts_in_days=40, days=2)
    booking = make_in_house(course=course, days=days, capacity=14)

    session = booking.session
    assert session.is_in_house and session.status == SessionStatus.SCHEDULED
    assert session.capacity == 14 and session.price == Decimal("0.00")
    assert [(day.starts_at, day.ends_at) for day in session.days.all()] == days
    assert session.booking_closes_at < session.starts_at
    venue = session.venue
    assert (venue.name, venue.address, venue.town, venue.postcode, venue.is_online) == (
        "Orwell Valley Hospital, Education Centre",
        "Heath Road",
        "Ipswich",
        "IP4 5PD",
        False,
    )
    assert list(session.bookings.all()) == [booking]
    assert booking.status == BookingStatus.CONFIRMED and booking.purchase_order == "PO-778812"
    assert booking.contact_email == "priya.shah@example.org" and booking.organisation_type == "nhs"
    assert booking.price_per_delegate == Decimal("0.00")
    assert booking.delegates.count() == 0
    assert booking.is_in_house
    [event] = booking.events.all()
    assert event.kind == BookingEvent.Kind.CREATED and event.data["in_house"] is True
    assert event.actor == "client (quote acceptance)"


def test_the_agreed_lines_are_the_price_whatever_the_number_of_delegates():
    booking = make_in_house(capacity=3)
    assert booking.agreed_lines[0] == {
        "description": "De-escalation Skills, in-house, trainer's day rate",
        "quantity": "2",
        "unit_price": "950.00",
    }
    empty = booking.totals()
    assert (empty["net"], empty["vat"], empty["gross"]) == (AGREED_NET, Decimal("404.00"), Decimal("2424.00"))
    register(booking.session, 1)
    register(booking.session, 2)
    booking = Booking.objects.get(pk=booking.pk)
    assert booking.totals() == {**empty, "delegates": 2}


def test_agreed_lines_accept_numbers_and_are_stored_as_strings_to_the_penny():
    booking = make_in_house(
        agreed_lines=[
            {"description": "Day rate", "quantity": 3, "unit_price": Decimal("900")},
            {"description": "Workbooks", "quantity": "12", "unit_price": "4.125"},
        ]
    )
    assert booking.agreed_lines == [
        {"description": "Day rate", "quantity": "3", "unit_price": "900.00"},
        {"description": "Workbooks", "quantity": "12", "unit_price": "4.13"},
    ]
    assert booking.totals()["net"] == Decimal("2749.56")


def test_the_agreed_total_is_the_sum_of_lines_rounded_as_the_invoice_rounds_them():
    # 1.5 x 333.33 = 499.995 -> 500.00; 0.5 x 99.99 = 49.995 -> 50.00: 550.00, not 549.99.
    booking = make_in_house(
        agreed_lines=[
            {"description": "Day rate, a day and a half", "quantity": "1.5", "unit_price": "333.33"},
            {"description": "Half a day's travel", "quantity": "0.5", "unit_price": "99.99"},
        ]
    )
    assert booking.totals()["net"] == Decimal("550.00")
    [invoice] = booking.invoices.all()
    assert (invoice.net, invoice.gross) == (booking.totals()["net"], booking.totals()["gross"])


def test_po_to_follow_awaits_the_po_with_no_deadline_to_release_anything():
    booking = make_in_house(purchase_order="", po_to_follow=True)
    assert booking.status == BookingStatus.AWAITING_PO
    assert booking.po_to_follow and booking.po_deadline is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"agreed_lines": []}, "agreed_lines"),
        ({"agreed_lines": [{"description": "", "quantity": "1", "unit_price": "100"}]}, "agreed_lines"),
        ({"agreed_lines": [{"description": "Day", "quantity": "0", "unit_price": "100"}]}, "agreed_lines"),
        ({"agreed_lines": [{"description": "Day", "quantity": "two", "unit_price": "100"}]}, "agreed_lines"),
        ({"agreed_lines": [{"description": "Discount", "quantity": "1", "unit_price": "-5"}]}, "agreed_lines"),
        ({"purchase_order": "", "po_to_follow": False}, "purchase_order"),
        ({"purchase_order": "PO-1", "po_to_follow": True}, "po_to_follow"),
        ({"purchase_order": "PO<1>"}, "purchase_order"),
        ({"site_name": ""}, "site_name"),
        ({"site_town": ""}, "site_town"),
        ({"site_postcode": ""}, "site_postcode"),
        ({"contact_email": "not an email"}, "contact_email"),
        ({"contact_phone": "+33 1 23 45 67 89"}, "contact_phone"),
        ({"invoice_address": ""}, "invoice_address"),
        ({"organisation_type": "pirates"}, "organisation_type"),
        ({"capacity": 0}, "capacity"),
        ({"days": [(timezone.now() + timedelta(days=9, hours=7), timezone.now() + timedelta(days=9))]}, "days"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_writes_nothing(overrides, field):
    CourseFactory()  # created before counting
    before = written()
    with pytest.raises(ValidationError) as error:
        make_in_house(course=CourseFactory(title="De-escalation Skills"), **overrides)
    assert field in error.value.message_dict, error.value.message_dict
    assert written()[:1] + written()[2:] == before[:1] + before[2:]  # the course factory adds no venue


def test_the_contract_is_keyword_only():
    with pytest.raises(TypeError):
        services.in_house_session_create(
            CourseFactory(), **{k: v for k, v in in_house_fields().items() if k != "course"}
        )


# Registering from the private link --------------------------------------------------------------


def test_staff_register_up_to_capacity_then_are_refused_with_the_coordinator_to_ask():
    booking = make_in_house(capacity=3)
    session = booking.session
    people = [register(session, n, adjustments="Hearing loop" if n == 2 else "") for n in range(1, 4)]

    assert [d.booking_id for d in people] == [booking.pk] * 3
    assert services.seats_remaining(session) == 0
    assert people[1].adjustments == "Hearing loop" and people[0].job_role == "Staff Nurse"
    added = booking.events.filter(kind=BookingEvent.Kind.DELEGATE_ADDED)
    assert added.count() == 3 and {e.actor for e in added} == {"delegate (registration link)"}

    before = written()
    with pytest.raises(CourseFull) as error:
        register(session, 4)
    assert error.value.message == (
        "This course is full: all 3 places are taken. Ask Priya Shah (priya.shah@example.org) about another date."
    )
    assert error.value.code == "course_full"
    assert written() == before


def test_the_full_message_counts_the_places_of_a_bigger_course():
    booking = make_in_house(capacity=12)
    for n in range(12):
        register(booking.session, n)
    with pytest.raises(CourseFull, match="all 12 places are taken. Ask Priya Shah"):
        register(booking.session, 99)


def test_the_same_person_cannot_register_twice():
    booking = make_in_house()
    register(booking.session, 1, email="Sam.Jones@example.org")
    before = written()
    with pytest.raises(ValidationError) as error:
        register(booking.session, 2, email="sam.jones@EXAMPLE.org")
    assert error.value.message_dict == {
        "email": ["sam.jones@EXAMPLE.org is already registered for this course. Each person registers once."]
    }
    assert written() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"job_role": "x" * 151}, "job_role"),
        ({"adjustments": "x" * 1001}, "adjustments"),
    ],
)
def test_bad_registration_details_are_refused_by_field(fields, field):
    booking = make_in_house()
    before = written()
    with pytest.raises(ValidationError) as error:
        register(booking.session, 1, **fields)
    assert list(error.value.message_dict) == [field]
    assert written() == before


def test_registration_closes_with_booking_close():
    booking = make_in_house()
    CourseSession.objects.filter(pk=booking.session_id).update(booking_closes_at=timezone.now() - timedelta(minutes=1))
    before = written()
    with pytest.raises(RegistrationClosed) as error:
        register(booking.session, 1)
    assert error.value.message == (
        "Registration for this course has closed. Ask Priya Shah (priya.shah@example.org) if you need a place."
    )
    assert written() == before


def test_a_cancelled_course_takes_no_registrations():
    booking = make_in_house()
    services.session_cancel(session=booking.session, reason="Ward closed to visitors")
    before = written()
    with pytest.raises(RegistrationClosed) as error:
        register(booking.session, 1)
    assert error.value.code == "session_cancelled"
    assert "This course has been cancelled. Ask Priya Shah" in error.value.message
    assert written() == before


def test_a_public_session_takes_no_registrations():
    from tests.factories import make_session

    session = make_session()
    with pytest.raises(RegistrationClosed):
        services.in_house_register(session=session, name="A", email="a@example.org")


# The coordinator's changes, through the ordinary booking services -------------------------------


def test_the_coordinator_removes_and_substitutes_until_booking_closes():
    booking = make_in_house(capacity=2)
    first, second = register(booking.session, 1), register(booking.session, 2)

    services.booking_substitute_delegate(
        booking=booking,
        delegate_id=second.pk,
        replacement=services.DelegateData(name="Alex Reid", email="alex.reid@example.org", job_role="HCA"),
        actor="booker (manage link)",
    )
    services.booking_remove_delegate(booking=booking, delegate_id=first.pk, actor="booker (manage link)")
    assert [d.email for d in booking.delegates.all()] == ["alex.reid@example.org"]
    # The freed place can be taken from the link again.
    register(booking.session, 3)
    assert services.seats_remaining(booking.session) == 0

    CourseSession.objects.filter(pk=booking.session_id).update(booking_closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.BookingNotChangeable):
        services.booking_remove_delegate(booking=booking, delegate_id=second.pk)


def test_the_coordinator_may_remove_the_last_person_and_the_place_opens_again():
    booking = make_in_house(capacity=1)
    only = register(booking.session, 1)
    services.booking_remove_delegate(booking=booking, delegate_id=only.pk, actor="booker (manage link)")
    assert booking.delegates.count() == 0
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    register(booking.session, 2)
    assert services.seats_remaining(booking.session) == 0


def test_an_in_house_course_cannot_be_booked_like_a_public_one():
    booking = make_in_house(capacity=12)
    before = written()
    with pytest.raises(services.SessionNotBookable, match="registration link"):
        services.booking_create(
            session=booking.session,
            organisation="Somebody Else Ltd",
            organisation_type="other",
            contact_name="Sam Jones",
            contact_email="sam.jones@example.org",
            contact_phone="01473 555 013",
            invoice_address="1 High Street, Ipswich IP1 1AA",
            delegates=[services.DelegateData(name="Sam Jones", email="sam.jones@example.org")],
            accept_terms=True,
            purchase_order="PO-1",
        )
    assert written() == before


# The PO: chased as bookings are, never releasing the course --------------------------------------


def test_po_to_follow_is_chased_but_never_releases_the_course():
    booking = make_in_house(purchase_order="", po_to_follow=True, starts_in_days=30)
    register(booking.session, 1)
    from booking.emails import po_due

    due = po_due(booking)
    assert due is not None and due > booking.created_at

    # Three days before the date the PO is asked for: one reminder, and only one.
    assert reminders.po_reminders_queue(now=due - timedelta(days=2, hours=23)) == 1
    assert reminders.po_reminders_queue(now=due - timedelta(days=2, hours=22)) == 0
    [reminder] = sent("po_reminder")
    assert reminder.to == ["priya.shah@example.org"]
    assert "so that we can invoice" in reminder.body_text
    assert "released" not in reminder.body_text

    # Long past that date, the expired-hold sweep leaves it alone: nobody else could take the places.
    assert services.po_holds_release_expired(now=due + timedelta(days=10)) == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PO
    assert booking.delegates.count() == 1
    assert not sent("po_released") and not sent("delegate_cancelled")

    # The PO arrives: confirmed, and the coordinator gets the confirmation again with it.
    services.booking_add_po(booking=booking, purchase_order="PO-99123")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert "Purchase order: PO-99123" in sent("in_house_confirmation")[-1].body_text


def test_cancelling_the_host_booking_cancels_the_course_and_frees_its_trainer():
    from trainers.models import Trainer
    from trainers.services import trainer_check_free

    course = CourseFactory(title="Breakaway Skills")
    trainer = Trainer.objects.create(name="Helen Ward")
    trainer.courses.add(course)
    booking = make_in_house(course=course, trainer=trainer)
    days = [(day.starts_at, day.ends_at) for day in booking.session.days.all()]
    with pytest.raises(ValidationError):  # she is on it
        trainer_check_free(trainer=trainer, days=days, course=course)
    services.booking_cancel(booking=booking, reason="Ward closed for refurbishment", by_staff=True, actor="staff")
    session = CourseSession.objects.get(pk=booking.session_id)
    assert (session.status, session.cancelled_reason) == (SessionStatus.CANCELLED, "Ward closed for refurbishment")
    trainer_check_free(trainer=trainer, days=days, course=course)  # her day is free again
