"""The demo trainers: invented people for every course, one week of leave, and demo sessions that
never put a trainer on two sessions a day or on a day away."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.demo import load_sessions
from booking.models import CourseSession, SessionDay, SessionStatus
from courses.models import Course
from trainers.demo import TRAINERS
from trainers.models import Trainer, TrainerUnavailability
from trainers.services import local_dates

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_for_module):
    """Loaded once for the module: every test here reads it."""


def test_demo_trainers_are_invented_and_cover_every_course(demo):
    trainers = list(Trainer.objects.prefetch_related("courses"))
    assert len(trainers) == len(TRAINERS) == 5
    assert all(trainer.email.endswith("@example.com") and trainer.is_active for trainer in trainers)
    assert all(trainer.phone.is_valid() and trainer.phone.country_code == 44 for trainer in trainers)
    delivered = {course.slug for trainer in trainers for course in trainer.courses.all()}
    assert delivered == set(Course.objects.values_list("slug", flat=True))
    # Every course has a second trainer to fall back on.
    assert min(Counter(c.slug for t in trainers for c in t.courses.all()).values()) >= 2


def test_one_trainer_has_a_week_of_leave_ahead(demo):
    [leave] = TrainerUnavailability.objects.all()
    assert leave.reason == "annual leave"
    assert leave.starts_on > timezone.localdate()
    assert (leave.ends_on - leave.starts_on).days == 4 and leave.starts_on.weekday() == 0


def test_no_demo_trainer_is_ever_on_two_sessions_a_day_or_on_leave(demo):
    taken = Counter()
    away = {
        (period.trainer_id, period.starts_on + timedelta(days=n))
        for period in TrainerUnavailability.objects.all()
        for n in range((period.ends_on - period.starts_on).days + 1)
    }
    days = SessionDay.objects.exclude(session__status=SessionStatus.CANCELLED).exclude(session__trainer=None)
    for day in days.select_related("session"):
        for date in local_dates(day.starts_at, day.ends_at):
            taken[(day.session.trainer_id, date)] += 1
            assert (day.session.trainer_id, date) not in away
    assert taken and max(taken.values()) == 1


def test_demo_sessions_have_trainers_for_their_course(demo):
    sessions = list(CourseSession.objects.select_related("trainer", "course"))
    with_trainer = [session for session in sessions if session.trainer]
    assert len(with_trainer) >= 0.9 * len(sessions)
    for session in with_trainer:
        assert session.trainer.courses.filter(pk=session.course_id).exists()


def test_loading_again_adds_no_trainers_and_no_more_leave(demo):
    before = (Trainer.objects.count(), TrainerUnavailability.objects.count(), CourseSession.objects.count())
    load_sessions()
    assert (Trainer.objects.count(), TrainerUnavailability.objects.count(), CourseSession.objects.count()) == before
