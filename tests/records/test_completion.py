"""Attendance and completion: the rules the trainer's page, the admin and the tasks share."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from booking.models import BookingStatus
from outbox.models import OutboundEmail
from records import services
from records.models import Attendance, AttendanceStatus, Certificate
from tests.factories import make_booking, make_session

ATTENDED, ABSENT, LEFT_EARLY = AttendanceStatus.ATTENDED, AttendanceStatus.ABSENT, AttendanceStatus.LEFT_EARLY


@pytest.fixture
def two_day(completed_course):
    """A two-day course 2 days from now, with one booking of three delegates."""
    session = make_session(course=completed_course, starts_in_days=2, days=2)
    booking = make_booking(session, count=3, organisation="East Coast NHS Trust")
    days = list(session.days.all())
    after = days[-1].ends_at + timedelta(hours=1)
    return session, booking, list(services.session_delegates(session)), days, after


def mark(session, day, marks, now):
    return services.attendance_mark(session=session, day=day, marks=marks, actor="Jo Trainer", now=now)


def kinds():
    return sorted(OutboundEmail.objects.values_list("kind", flat=True))


@pytest.mark.django_db
def test_the_session_completes_only_when_every_day_is_in(two_day):
    session, booking, (ann, bob, cat), (day1, day2), after = two_day
    assert mark(session, day2, {ann.pk: ATTENDED, bob.pk: ATTENDED, cat.pk: ATTENDED}, after) == []
    session.refresh_from_db()
    assert session.completed_at is None
    assert [(day, [d.name for d in people]) for day, people in services.attendance_missing(session)] == [
        (day1, [ann.name, bob.name, cat.name])
    ]
    assert not Certificate.objects.exists()
    assert kinds() == [] or "certificate_issued" not in kinds()

    issued = mark(session, day1, {ann.pk: ATTENDED, bob.pk: LEFT_EARLY, cat.pk: ABSENT}, after)

    session.refresh_from_db()
    assert session.completed_at == after
    # Only who attended every day gets a certificate; left early on one day is not attendance.
    assert [c.holder_name for c in issued] == [ann.name]
    assert services.attendance_missing(session) == []


@pytest.mark.django_db
def test_completion_tells_the_booker_certifies_and_asks_attendees_for_feedback(two_day):
    session, booking, (ann, bob, cat), (day1, day2), after = two_day
    mark(session, day1, {ann.pk: ATTENDED, bob.pk: ATTENDED, cat.pk: ABSENT}, after)
    mark(session, day2, {ann.pk: ATTENDED, bob.pk: LEFT_EARLY, cat.pk: ABSENT}, after)

    summary = OutboundEmail.objects.get(kind="attendance_summary")
    assert summary.to == [booking.contact_email]
    assert f"{ann.name}: attended" in summary.body_text
    assert f"{bob.name}: day 1 attended, day 2 left early" in summary.body_text
    assert f"{cat.name}: absent" in summary.body_text

    certificate = OutboundEmail.objects.get(kind="certificate_issued")
    assert certificate.to == [ann.email]
    number = Certificate.objects.get().number
    assert number in certificate.body_text
    assert certificate.attachments[0]["document"] == f"certificate:{Certificate.objects.get().pk}"

    # Everyone who came, even for part of it, is asked; someone absent throughout is not.
    asked = sorted(email.to[0] for email in OutboundEmail.objects.filter(kind="feedback_request"))
    assert asked == sorted([ann.email, bob.email])


@pytest.mark.django_db
def test_a_correction_after_completion_certifies_once_and_does_not_resend_the_summary(two_day):
    session, booking, (ann, bob, cat), (day1, day2), after = two_day
    mark(session, day1, {ann.pk: ATTENDED, bob.pk: ATTENDED, cat.pk: ATTENDED}, after)
    mark(session, day2, {ann.pk: ATTENDED, bob.pk: ABSENT, cat.pk: ATTENDED}, after)
    assert Certificate.objects.count() == 2
    emails_before = OutboundEmail.objects.count()

    # Bob was there after all: the office corrects day 2.
    issued = mark(session, day2, {bob.pk: ATTENDED}, after + timedelta(days=1))
    assert [c.holder_name for c in issued] == [bob.name]
    assert OutboundEmail.objects.count() == emails_before + 1
    assert OutboundEmail.objects.filter(kind="certificate_issued", to=[bob.email]).count() == 1
    session.refresh_from_db()
    assert session.completed_at == after  # completed when it was, not re-completed

    # The same marks again change nothing and send nothing.
    assert mark(session, day2, {bob.pk: ATTENDED}, after + timedelta(days=2)) == []
    assert OutboundEmail.objects.count() == emails_before + 1
    assert Certificate.objects.count() == 3


@pytest.mark.django_db
def test_a_certificate_cannot_be_taken_away_by_a_new_mark(two_day):
    session, booking, (ann, bob, cat), (day1, day2), after = two_day
    for day in (day1, day2):
        mark(session, day, {ann.pk: ATTENDED, bob.pk: ATTENDED, cat.pk: ATTENDED}, after)
    with pytest.raises(ValidationError) as error:
        mark(session, day2, {ann.pk: ABSENT}, after)
    assert "already has certificate" in str(error.value)
    assert Attendance.objects.get(delegate=ann, day=day2).status == ATTENDED


@pytest.mark.django_db
def test_a_bad_mark_saves_none_of_the_day(two_day, completed_course):
    session, booking, (ann, bob, cat), (day1, day2), after = two_day
    other = make_booking(make_session(course=completed_course, starts_in_days=2), count=1, prefix="other")
    stranger = other.delegates.get()

    with pytest.raises(ValidationError) as error:
        mark(session, day1, {ann.pk: ATTENDED, stranger.pk: ATTENDED}, after)
    assert "no longer booked" in str(error.value)
    with pytest.raises(ValidationError) as error:
        mark(session, day1, {ann.pk: ATTENDED, bob.pk: "snoozed"}, after)
    assert f"Choose attended, absent or left early for {bob.name}" in str(error.value)
    with pytest.raises(ValidationError):
        mark(session, day1, {}, after)
    assert not Attendance.objects.exists()


@pytest.mark.django_db
def test_a_day_cannot_be_marked_before_it_comes_nor_a_cancelled_course(two_day):
    session, booking, (ann, bob, cat), (day1, day2), after = two_day
    with pytest.raises(ValidationError) as error:
        mark(session, day2, {ann.pk: ATTENDED}, day1.starts_at + timedelta(hours=2))
    assert "can be taken from that day" in str(error.value)
    # From the start of the day's date, UK time: the trainer may mark people in as they arrive.
    mark(session, day1, {ann.pk: ATTENDED}, day1.starts_at - timedelta(hours=1))

    from booking.services import session_cancel

    session_cancel(session=session, reason="Trainer ill")
    with pytest.raises(ValidationError) as error:
        mark(session, day2, {ann.pk: ATTENDED}, after)
    assert "cancelled" in str(error.value)


@pytest.mark.django_db
def test_only_people_holding_places_are_on_the_register(two_day, completed_course):
    session, booking, delegates, (day1, day2), after = two_day
    cancelled = make_booking(session, count=1, prefix="gone")
    from booking.services import booking_cancel

    booking_cancel(booking=cancelled, reason="Changed plans")
    cancelled.refresh_from_db()
    assert cancelled.status == BookingStatus.CANCELLED
    assert [d.pk for d in services.session_delegates(session)] == [d.pk for d in delegates]
    # The session completes without marks for the cancelled booking's delegate.
    for day in (day1, day2):
        mark(session, day, {d.pk: ATTENDED for d in delegates}, after)
    session.refresh_from_db()
    assert session.completed_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_people_finishing_the_register_at_once_complete_it_once(require_postgres, completed_course):
    session = make_session(course=completed_course, starts_in_days=2, days=1)
    make_booking(session, count=2)
    ann, bob = services.session_delegates(session)
    day = session.days.get()
    after = day.ends_at + timedelta(hours=1)
    barrier, errors = threading.Barrier(2), []

    def finish(marks):
        try:
            barrier.wait()
            mark(session, day, marks, after)
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)
        finally:
            connection.close()

    # The trainer on their phone and the office in the admin, each sending the whole register.
    threads = [
        threading.Thread(target=finish, args=({ann.pk: ATTENDED, bob.pk: ATTENDED},)),
        threading.Thread(target=finish, args=({ann.pk: ATTENDED, bob.pk: ATTENDED},)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Certificate.objects.count() == 2
    assert OutboundEmail.objects.filter(kind="attendance_summary").count() == 1
    assert OutboundEmail.objects.filter(kind="certificate_issued").count() == 2
