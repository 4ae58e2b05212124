"""The booker's manage link: signed, tamper-proof, one booking only, dead once the session ends."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from booking import links
from booking.models import CourseSession
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    return make_booking(make_session(), count=2)


def move_session(session, *, starts, ends):
    CourseSession.objects.filter(pk=session.pk).update(
        starts_at=starts, ends_at=ends, booking_closes_at=starts - timedelta(hours=24)
    )


def test_a_token_leads_back_to_its_booking(booking):
    token = links.manage_token(booking)

    assert links.booking_from_token(token) == booking
    assert token != booking.reference  # the reference alone does not open the booking
    assert links.booking_from_token(booking.reference) is None


def test_the_manage_url_carries_the_token(booking):
    assert links.manage_url(booking).endswith(f"/{links.manage_token(booking)}/")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.lower(),
        lambda token: token + "x",
        lambda token: "",
        lambda token: "not-a-token",
    ],
    ids=["last-character", "case", "extra", "empty", "garbage"],
)
def test_a_tampered_token_opens_nothing(booking, tamper):
    assert links.booking_from_token(tamper(links.manage_token(booking))) is None


def test_a_token_cannot_be_moved_to_another_reference(booking):
    other = make_booking(booking.session)
    reference, signature = links.manage_token(booking).split(":")

    assert links.booking_from_token(f"{other.reference}:{signature}") is None


def test_a_token_signed_for_something_else_opens_nothing(booking):
    assert links.booking_from_token(signing.Signer(salt="another.purpose").sign(booking.reference)) is None
    assert links.booking_from_token(signing.Signer().sign(booking.reference)) is None


def test_a_validly_signed_unknown_reference_opens_nothing(booking):
    assert links.booking_from_token(signing.Signer(salt=links.SALT).sign("ZZZZZZZZ")) is None


def test_the_link_works_while_the_session_runs_and_stops_once_it_ends(booking):
    now = timezone.now()
    token = links.manage_token(booking)

    move_session(booking.session, starts=now - timedelta(hours=2), ends=now + timedelta(hours=5))
    assert links.booking_from_token(token) == booking

    move_session(booking.session, starts=now - timedelta(hours=8), ends=now - timedelta(minutes=1))
    assert links.booking_from_token(token) is None
