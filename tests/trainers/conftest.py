"""Trainers for the clash tests: made directly (a trainer is plain data), put on sessions through
the real services."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.factories import CourseFactory, VenueFactory, london
from trainers.models import Trainer


def make_trainer(name="Helen Ward", *, courses=(), **fields):
    trainer = Trainer.objects.create(name=name, email=name.lower().replace(" ", ".") + "@example.com", **fields)
    trainer.courses.set(courses)
    return trainer


def day(year, month, date, start=(9, 30), end=(16, 30)):
    """One day's (start, end) in UK time."""
    return (london(year, month, date, *start), london(year, month, date, *end))


def make_session_on(*spans, course=None, venue=None, trainer=None, **kwargs):
    """A session on these (start, end) spans through the real service."""
    from booking.services import session_create

    return session_create(
        course=course or CourseFactory(),
        venue=venue or VenueFactory(),
        days=list(spans),
        capacity=kwargs.pop("capacity", 12),
        trainer=trainer,
        **kwargs,
    )


@pytest.fixture
def conflict():
    return CourseFactory(title="Conflict Resolution")


@pytest.fixture
def deescalation():
    return CourseFactory(title="De-escalation Skills")


@pytest.fixture
def ipswich():
    return VenueFactory(name="Calm Response Training Centre", town="Ipswich")


@pytest.fixture
def helen(conflict, deescalation):
    return make_trainer("Helen Ward", courses=[conflict, deescalation])


@pytest.fixture
def sales_user():
    user = get_user_model().objects.create_user("sally", email="sally@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))
    return user
