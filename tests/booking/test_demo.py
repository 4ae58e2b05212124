"""The demo venues, sessions and bookings: three months ahead, realistic, and loaded once."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core.management import call_command
from django.utils import timezone

from booking.models import Booking, BookingEvent, BookingStatus, CourseSession, Delegate, Venue
from booking.selectors import session_list
from courses.models import Course

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def counts():
    return (
        Venue.objects.count(),
        CourseSession.objects.count(),
        Booking.objects.count(),
        Delegate.objects.count(),
        BookingEvent.objects.count(),
    )


def keys():
    return [
        (session.course_id, session.venue_id, timezone.localtime(session.starts_at).date())
        for session in CourseSession.objects.all()
    ]


@pytest.fixture
def demo(demo_for_module):
    """Loaded once for the module: every test here reads it (tests that load in their own way
    are in test_demo_loading.py)."""


def test_demo_has_four_venues_one_of_them_online(demo):
    assert set(Venue.objects.values_list("town", flat=True)) == {"Ipswich", "London", "Manchester", ""}
    online = Venue.objects.get(is_online=True)
    assert online.joining_link.startswith("https://")
    assert all(venue.postcode for venue in Venue.objects.filter(is_online=False))


def test_demo_sessions_cover_the_next_three_months_on_weekdays(demo):
    today = timezone.localdate()
    # The rota ahead; the demo's training history (records/demo.py) is in the past, completed.
    sessions = list(session_list().filter(completed_at__isnull=True).order_by("starts_at"))
    assert len(sessions) >= 40
    assert {s.course.slug for s in sessions} == set(Course.objects.values_list("slug", flat=True))
    assert {s.venue.place for s in sessions} == {"Ipswich", "London", "Manchester", "Online"}
    firsts = [timezone.localtime(s.starts_at).date() for s in sessions]
    assert min(firsts) >= today + timedelta(days=2)
    assert max(firsts) <= today + timedelta(days=91)
    for month in range(3):  # something to book in each of the three months
        assert any(
            today + timedelta(days=30 * month) < day <= today + timedelta(days=30 * (month + 1)) for day in firsts
        )
    assert all(s.bookable for s in sessions)
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=[today.year, today.year + 1])
    for session in sessions:
        days = list(session.days.all())
        starts = [timezone.localtime(day.starts_at) for day in days]
        ends = [timezone.localtime(day.ends_at) for day in days]
        assert all(start.weekday() < 5 and start.date() not in bank_holidays for start in starts)
        assert all(start.time() == time(9, 30) for start in starts)
        if session.course.duration_days < 1:
            assert [end.time() for end in ends] == [time(13, 0)]
        elif session.course.duration_days == 3:
            assert [start.date() - starts[0].date() for start in starts] == [timedelta(days=n) for n in range(3)]
            assert all(end.time() == time(16, 30) for end in ends)
        else:
            assert [end.time() for end in ends] == [time(16, 30)]
        assert (session.starts_at, session.ends_at) == (days[0].starts_at, days[-1].ends_at)
        assert session.price == session.course.price


def test_demo_has_one_full_session_with_a_waiting_list_and_some_nearly_full(demo):
    sessions = session_list()
    full = sessions.filter(seats_remaining=0)
    assert full.count() == 1
    [session] = full
    assert session.waiting_list_count > 0
    assert session.bookings.filter(status=BookingStatus.WAITLISTED).exists()
    assert sessions.filter(waiting_list_count__gt=0).count() == 1
    assert sessions.filter(seats_remaining__in=[1, 2]).count() >= 5
    assert sum(1 for s in sessions if s.seats_taken <= s.capacity / 2) >= 10  # and plenty of room elsewhere


def test_demo_bookings_are_invented_and_use_example_domains(demo):
    assert Booking.objects.filter(status=BookingStatus.AWAITING_PO, po_to_follow=True).exists()
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).exclude(purchase_order="").exists()
    assert Booking.objects.values("organisation").distinct().count() >= 8
    domains = ("@example.org", "@example.com", "@example.net")
    assert all(email.endswith(domains) for email in Booking.objects.values_list("contact_email", flat=True))
    assert all(email.endswith(domains) for email in Delegate.objects.values_list("email", flat=True))
    assert Delegate.objects.exclude(adjustments="").exists()
    assert set(BookingEvent.objects.values_list("actor", flat=True)) == {"demo"}


def test_second_load_adds_nothing(demo, capsys):
    before = counts()
    call_command("load_demo", "--no-user")
    assert counts() == before
    assert "Demo sessions: 0 venues, 0 sessions, 0 bookings added." in capsys.readouterr().out
