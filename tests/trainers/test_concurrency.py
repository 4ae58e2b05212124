"""Two simultaneous assignments of one trainer to two sessions on the same day, on PostgreSQL.

Each assignment runs in its own thread with its own database connection, as two office staff
(or the admin and a quote being accepted) would. The check is slowed down to widen the race
window; with the trainer's row lock the second waits for the first and is refused, and the
control test, with the lock taken out, shows the double booking it prevents.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from booking.models import CourseSession
from trainers import services
from trainers.models import Trainer

from .conftest import day, make_session_on, make_trainer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WINDOW = 0.3  # seconds between checking the trainer free and saving


@pytest.fixture
def slow_check(require_postgres, monkeypatch):
    real_check = services.trainer_check_free

    def check_then_pause(**kwargs):
        real_check(**kwargs)
        time.sleep(WINDOW)

    monkeypatch.setattr(services, "trainer_check_free", check_then_pause)


def at_once(*calls):
    """Run each call in its own thread (and connection) at the same moment; returns what each
    returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # compared by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def two_sessions_same_day():
    from tests.factories import CourseFactory

    course = CourseFactory(title="De-escalation Skills")
    helen = make_trainer("Helen Ward", courses=[course])
    first = make_session_on(day(2037, 3, 3), course=course)
    second = make_session_on(day(2037, 3, 3), day(2037, 3, 4), course=course)
    return helen, first, second


def assigning(session, trainer):
    return lambda: services.session_assign_trainer(session=session, trainer=trainer, actor="test")


def test_two_simultaneous_assignments_exactly_one_wins(slow_check):
    helen, first, second = two_sessions_same_day()

    results = at_once(assigning(first, helen), assigning(second, helen))

    won = [result for result in results if isinstance(result, CourseSession)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert (len(won), len(refused)) == (1, 1), results
    assert refused[0].message_dict["trainer"][0].startswith("Helen Ward is already on De-escalation Skills")
    assert "Tue 3 March 2037" in refused[0].message_dict["trainer"][0]
    assert CourseSession.objects.filter(trainer=helen).count() == 1


def test_two_simultaneous_new_sessions_with_one_trainer_exactly_one_is_made(slow_check):
    from tests.factories import CourseFactory, VenueFactory

    course = CourseFactory(title="Conflict Resolution")
    helen = make_trainer("Helen Ward", courses=[course])
    venues = [VenueFactory(), VenueFactory()]

    def creating(venue):
        return lambda: make_session_on(day(2037, 3, 3), course=course, venue=venue, trainer=helen)

    results = at_once(creating(venues[0]), creating(venues[1]))

    assert sorted(type(result).__name__ for result in results) == ["CourseSession", "ValidationError"], results
    assert CourseSession.objects.count() == 1


def test_control_without_the_lock_the_same_race_double_books(slow_check, monkeypatch):
    monkeypatch.setattr(services, "trainer_lock", lambda trainer: Trainer.objects.get(pk=trainer.pk))
    helen, first, second = two_sessions_same_day()

    results = at_once(assigning(first, helen), assigning(second, helen))

    assert all(isinstance(result, CourseSession) for result in results), results
    assert CourseSession.objects.filter(trainer=helen).count() == 2  # what the lock prevents
