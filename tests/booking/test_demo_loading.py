"""Loading the demo sessions in other ways: before Christmas, weeks later, catalogue only."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from booking.demo import load_sessions
from booking.models import SessionDay
from courses.demo import load_catalogue
from courses.models import Course

from .test_demo import counts, keys

pytestmark = pytest.mark.django_db


def test_demo_sessions_never_fall_between_christmas_eve_and_new_years_eve():
    call_command("load_demo", "--no-user", "--no-sessions", verbosity=0)
    load_sessions(today=date(2026, 12, 1))  # the window covers the whole of Christmas week
    days = [timezone.localtime(day.starts_at).date() for day in SessionDay.objects.all()]
    assert days and max(days) > date(2027, 1, 1)
    assert not [day for day in days if day.month == 12 and day.day >= 24]
    assert date(2027, 1, 1) not in days  # New Year's Day, a bank holiday


def test_a_later_load_tops_up_the_new_weeks_without_duplicates():
    load_catalogue()
    today = timezone.localdate()
    first = load_sessions(today=today)
    existing = set(keys())
    later = load_sessions(today=today + timedelta(days=28))
    assert 0 < later["sessions"] < first["sessions"]
    assert later["venues"] == 0
    all_keys = keys()
    assert len(all_keys) == len(set(all_keys))  # no course runs twice at a venue on a day
    added = set(all_keys) - existing
    assert len(added) == later["sessions"]
    assert all(day > today + timedelta(days=91) for _course, _venue, day in added)
    # Loading the same day again still adds nothing.
    assert load_sessions(today=today + timedelta(days=28)) == {"venues": 0, "sessions": 0, "bookings": 0}


def test_catalogue_only_load_makes_no_sessions():
    call_command("load_demo", "--no-user", "--no-sessions")
    assert Course.objects.exists()
    assert counts() == (0, 0, 0, 0, 0)
