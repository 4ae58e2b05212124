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


@pytest.fixture
def mailoutbox_rows():
    """The outbox rows of one kind, oldest first (`after` skips the first ones)."""
    from outbox.models import OutboundEmail

    def rows(kind, after=0):
        return list(OutboundEmail.objects.filter(kind=kind).order_by("pk"))[after:]

    return rows


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
    value, signature = links.manage_token(booking).split(":")
    key = value.partition(".")[2]

    assert links.booking_from_token(f"{other.reference}.{key}:{signature}") is None


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


def test_an_old_style_token_without_the_key_opens_nothing(booking):
    assert links.booking_from_token(signing.Signer(salt=links.SALT).sign(booking.reference)) is None


# A new link revokes the old one ------------------------------------------------------------------


def test_a_new_link_from_the_manage_page_revokes_the_old_one(client, booking, mailoutbox_rows):
    from django.urls import reverse

    old = links.manage_token(booking)
    response = client.post(reverse("booking:manage_new_link", args=[old]))
    assert response.status_code == 302
    assert client.get(reverse("booking:manage", args=[old])).status_code == 404
    booking.refresh_from_db()
    new = links.manage_token(booking)
    assert new != old
    assert client.get(reverse("booking:manage", args=[new])).status_code == 200
    [email] = mailoutbox_rows("booking_manage_link", after=1)  # the first went out at booking
    assert email.to == [booking.contact_email]
    assert new in email.body_text and old not in email.body_text
    assert booking.events.filter(kind="link_reissued").exists()


def test_the_new_link_page_sends_a_new_link_only_for_a_matching_reference_and_email(client, booking, mailoutbox_rows):
    from django.urls import reverse

    old = links.manage_token(booking)
    url = reverse("booking:new_link")
    wrong = client.post(url, {"reference": booking.reference, "email": "someone.else@example.org"})
    right = client.post(url, {"reference": booking.reference.lower(), "email": booking.contact_email.upper()})
    assert wrong.status_code == right.status_code == 302  # the same answer either way
    assert wrong["Location"] == right["Location"]
    assert len(mailoutbox_rows("booking_manage_link")) == 2  # at booking, and now
    assert links.booking_from_token(old) is None
    page = client.post(url, {"reference": "", "email": "not-an-email"})
    assert page.status_code == 400
    text = page.content.decode()
    assert "<title>Error:" in text
    assert "Enter your booking reference" in text
    assert "Enter an email address in the correct format" in text


def test_manage_pages_are_never_stored_or_indexed_and_referrers_stay_on_the_site(client, booking):
    from django.urls import reverse

    token = links.manage_token(booking)
    for url in [
        reverse("booking:manage", args=[token]),
        reverse("booking:confirmed", args=[token]),
        reverse("booking:substitute", args=[token, booking.delegates.first().pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "noindex" in response["X-Robots-Tag"], url
        assert response["Referrer-Policy"] == "same-origin"
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"


def test_the_office_can_send_a_new_link_from_the_admin(admin_client, booking, mailoutbox_rows):
    from django.urls import reverse

    old = links.manage_token(booking)
    response = admin_client.post(
        reverse("admin:booking_booking_changelist"),
        {"action": "send_new_manage_link", "_selected_action": [booking.pk]},
        follow=True,
    )
    assert "New manage links emailed to 1 booker" in response.content.decode()
    assert links.booking_from_token(old) is None
    assert len(mailoutbox_rows("booking_manage_link")) == 2
    assert booking.events.get(kind="link_reissued").actor == "staff:admin"


def test_the_manage_page_offers_a_new_link_and_the_confirmation_page_says_keep_it_private(client, booking):
    from django.urls import reverse

    token = links.manage_token(booking)
    page = client.get(reverse("booking:manage", args=[token])).content.decode()
    assert reverse("booking:manage_new_link", args=[token]) in page
    assert "Email me a new link" in page
    confirmed = client.get(reverse("booking:confirmed", args=[token])).content.decode()
    assert "Keep this link private" in confirmed
