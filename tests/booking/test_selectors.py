"""The upcoming-session list: seat counts annotated in one query, filters and order."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import selectors, services
from booking.models import CourseSession
from tests.factories import CourseFactory, SectorFactory, VenueFactory, london, make_booking, make_session

pytestmark = pytest.mark.django_db


def ids(sessions):
    return [session.pk for session in sessions]


def session_on(start, *, course=None, capacity=10, days=1):
    """A session starting at `start` (zone-aware), `days` consecutive days long."""
    spans = [(start + timedelta(days=n), start + timedelta(days=n, hours=7)) for n in range(days)]
    return services.session_create(
        course=course or CourseFactory(), venue=VenueFactory(), days=spans, capacity=capacity
    )


def test_seat_counts_count_each_delegate_once_across_bookings_of_every_status():
    session = make_session(capacity=10, days=3)
    make_booking(session, count=2)  # confirmed
    make_booking(session, count=3, po_to_follow=True)  # awaiting PO
    services.booking_cancel(booking=make_booking(session, count=2))  # cancelled
    make_booking(session, count=6, join_waitlist=True)  # waitlisted: 5 left
    make_booking(session, count=7, join_waitlist=True)
    busy = make_session(capacity=4)
    make_booking(busy, count=4)
    empty = make_session(capacity=6)

    rows = {row.pk: row for row in selectors.session_list_upcoming()}

    counts = {pk: (row.seats_taken, row.seats_remaining, row.waiting_list_count) for pk, row in rows.items()}
    assert counts == {session.pk: (5, 5, 13), busy.pk: (4, 0, 0), empty.pk: (0, 6, 0)}
    assert rows[session.pk].seats_taken == services.seats_taken(session)


def test_seat_counts_are_not_multiplied_by_the_sector_join():
    course = CourseFactory(
        sectors=[SectorFactory(slug="nhs"), SectorFactory(slug="care"), SectorFactory(slug="retail")]
    )
    session = make_session(course=course, capacity=10, days=2)
    make_booking(session, count=3)
    make_booking(session, count=8, join_waitlist=True)

    for sector in (None, "nhs", "care"):
        [row] = selectors.session_list_upcoming(sector=sector)
        assert (row.seats_taken, row.seats_remaining, row.waiting_list_count) == (3, 7, 8)


def test_seats_remaining_is_never_negative():
    session = make_session(capacity=4)
    make_booking(session, count=4)
    CourseSession.objects.filter(pk=session.pk).update(capacity=2)  # e.g. an admin edit behind the services

    [row] = selectors.session_list_upcoming()

    assert row.seats_remaining == 0


def test_soonest_first_and_past_sessions_left_out():
    later = make_session(starts_in_days=40)
    soon = make_session(starts_in_days=5)
    middle = make_session(starts_in_days=20)
    make_session(starts_in_days=-3)
    in_progress = make_session(starts_in_days=-1, days=3)  # started yesterday, still running

    listed = ids(selectors.session_list_upcoming())

    assert listed == [soon.pk, middle.pk, later.pk]
    assert in_progress.pk not in listed


def test_sessions_of_unpublished_courses_are_left_out():
    make_session(course=CourseFactory(is_published=False))
    assert list(selectors.session_list_upcoming()) == []


def test_filter_by_course_and_sector():
    nhs, retail = SectorFactory(slug="nhs"), SectorFactory(slug="retail")
    deesc = CourseFactory(slug="de-escalation", sectors=[nhs, retail])
    shop = CourseFactory(slug="shop-floor", sectors=[retail])
    deesc_session, shop_session = make_session(course=deesc), make_session(course=shop, starts_in_days=31)

    assert ids(selectors.session_list_upcoming(course="de-escalation")) == [deesc_session.pk]
    assert ids(selectors.session_list_upcoming(sector="nhs")) == [deesc_session.pk]
    assert ids(selectors.session_list_upcoming(sector="retail")) == [deesc_session.pk, shop_session.pk]
    assert ids(selectors.session_list_upcoming(course="shop-floor", sector="nhs")) == []
    assert ids(selectors.session_list_upcoming(course="no-such-course")) == []


def test_filter_by_dates_uses_the_uk_calendar_day_and_includes_both_ends():
    # 00:30 on 10 June in London is still 9 June in UTC.
    just_after_midnight = session_on(london(2027, 6, 10, 0, 30))
    next_week = session_on(london(2027, 6, 17))

    def listed(**dates):
        return ids(selectors.session_list_upcoming(**dates))

    assert listed(date_from=date(2027, 6, 10)) == [just_after_midnight.pk, next_week.pk]
    assert listed(date_to=date(2027, 6, 9)) == []
    assert listed(date_from=date(2027, 6, 10), date_to=date(2027, 6, 10)) == [just_after_midnight.pk]
    assert listed(date_from=date(2027, 6, 11), date_to=date(2027, 6, 17)) == [next_week.pk]


def test_available_leaves_out_full_closed_and_cancelled_sessions():
    open_session = make_session(capacity=3)
    make_booking(open_session, count=2)
    full = make_session(capacity=2)
    make_booking(full, count=2)
    make_booking(full, count=1, join_waitlist=True)
    awaiting_full = make_session(capacity=2)
    make_booking(awaiting_full, count=2, po_to_follow=True)
    cancelled = make_session()
    services.session_cancel(session=cancelled)
    closed = session_on(timezone.now() + timedelta(hours=12))

    everything = set(ids(selectors.session_list_upcoming()))
    available = ids(selectors.session_list_upcoming(available=True))

    assert {open_session.pk, full.pk, awaiting_full.pk, cancelled.pk, closed.pk} <= everything
    assert available == [open_session.pk]


def test_a_waitlisted_booking_does_not_make_a_session_unavailable():
    session = make_session(capacity=3)
    make_booking(session, count=2)
    make_booking(session, count=5, join_waitlist=True)

    [row] = selectors.session_list_upcoming(available=True)

    assert (row.seats_remaining, row.waiting_list_count) == (1, 5)


def test_the_list_takes_the_same_number_of_queries_for_2_or_20_sessions():
    venue = VenueFactory()

    def add_sessions(count):
        for n in range(count):
            session = make_session(venue=venue if n % 2 else None, starts_in_days=10 + n, days=1 + n % 3, capacity=5)
            make_booking(session, count=2)
            make_booking(session, count=4, join_waitlist=True)

    def queries_to_show_the_list():
        with CaptureQueriesContext(connection) as queries:
            shown = [
                (
                    session.course.title,
                    session.course.slug,
                    session.venue.place,
                    [day.starts_at for day in session.days.all()],
                    session.seats_taken,
                    session.seats_remaining,
                    session.waiting_list_count,
                    str(session),
                )
                for session in selectors.session_list_upcoming()
            ]
        return len(queries.captured_queries), len(shown)

    add_sessions(2)
    few, shown = queries_to_show_the_list()
    assert shown == 2
    add_sessions(18)
    many, shown = queries_to_show_the_list()
    assert shown == 20

    assert few == many == 2  # the sessions with their counts, and their days
