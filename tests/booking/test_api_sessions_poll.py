"""Polling the sessions API: modified_since names the sessions that changed, seats included."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import CourseSession
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


def ids(client, since):
    response = client.get("/api/v1/sessions/", {"modified_since": since.isoformat()})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_modified_since_lists_sessions_changed_or_with_seats_taken_since(client):
    quiet, booked, edited = make_session(), make_session(), make_session()
    earlier = timezone.now() - timedelta(hours=2)
    CourseSession.objects.update(updated_at=earlier)
    since = timezone.now() - timedelta(minutes=1)

    make_booking(booked, count=2)  # its seat count moved
    CourseSession.objects.filter(pk=edited.pk).update(updated_at=timezone.now())

    assert ids(client, since) == {booked.pk, edited.pk}
    assert quiet.pk in ids(client, earlier - timedelta(minutes=1))


def test_a_bad_modified_since_is_a_field_error(client):
    response = client.get("/api/v1/sessions/", {"modified_since": "yesterday"})
    assert response.status_code == 400
    assert "modified_since" in response.json()["errors"]
