"""The in-house registration page and the coordinator's register (the host booking's manage
page), through the Django test client."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import links, services
from booking.models import BookingStatus, CourseSession, Delegate
from booking.views.in_house import REGISTERED_KEY
from tests.booking.in_house_factories import make_in_house, register
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


def register_url(session):
    return reverse("booking:register", args=[links.registration_token(session)])


def manage_url(booking):
    return reverse("booking:manage", args=[links.manage_token(booking)])


def text(response):
    """The page's words without tags, so assertions read as a person reads the page."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def post(client, session, **overrides):
    data = {"name": "Sam Jones", "email": "sam.jones@example.org", "job_role": "Staff Nurse", "adjustments": ""}
    data.update(overrides)
    return client.post(register_url(session), data)


@pytest.fixture
def booking():
    return make_in_house(capacity=3)


# The registration page --------------------------------------------------------------------------


def test_the_registration_page_shows_the_course_the_site_and_the_places_left(client, booking):
    register(booking.session, 1)
    response = client.get(register_url(booking.session))
    assert response.status_code == 200
    page = text(response)
    assert "Register for De-escalation Skills" in page
    assert "An in-house course for Orwell Valley NHS Foundation Trust, arranged by Priya Shah." in page
    assert "Orwell Valley Hospital, Education Centre" in page and "Heath Road" in page and "IP4 5PD" in page
    assert "2 of 3 places left" in page
    for label in ("Your full name", "Your email address", "Your job role (optional)", "Access needs"):
        assert label in page, label
    assert "£" not in page  # the price was agreed with the organisation, not per person
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_registering_adds_a_delegate_to_the_host_booking_and_says_what_comes_next(client, booking):
    response = post(client, booking.session, adjustments="Uses a wheelchair")
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:registered", args=[links.registration_token(booking.session)])
    delegate = booking.delegates.get()
    assert (delegate.name, delegate.email, delegate.job_role, delegate.adjustments) == (
        "Sam Jones",
        "sam.jones@example.org",
        "Staff Nurse",
        "Uses a wheelchair",
    )
    done = client.get(response["Location"])
    page = text(done)
    assert "You are registered" in page and "Sam Jones, you have a place on De-escalation Skills." in page
    assert "sam.jones@example.org" in page and "tell Priya Shah" in page
    # Shown once: coming back to it leads to the registration page.
    again = client.get(response["Location"])
    assert again.status_code == 302 and again["Location"] == register_url(booking.session)


def test_the_success_page_needs_a_registration_first(client, booking):
    response = client.get(reverse("booking:registered", args=[links.registration_token(booking.session)]))
    assert response.status_code == 302
    assert REGISTERED_KEY.format(booking.session_id) not in client.session


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"name": ""}, "id_name", "Enter your full name"),
        ({"email": ""}, "id_email", "Enter your email address"),
        (
            {"email": "sam at example"},
            "id_email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        ({"name": "x" * 151}, "id_name", "Your name must be 150 characters or fewer"),
        ({"job_role": "x" * 151}, "id_job_role", "Your job role must be 150 characters or fewer"),
        ({"adjustments": "x" * 1001}, "id_adjustments", "Access needs must be 1,000 characters or fewer"),
    ],
)
def test_each_problem_is_listed_at_the_top_and_beside_its_field(client, booking, fields, field_id, message):
    response = post(client, booking.session, **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: Register for De-escalation Skills" in html
    assert "There is a problem" in html
    assert f'<a class="alert-link" href="#{field_id}">{message}</a>' in html
    assert html.count(message) == 2  # in the summary and beside the field
    assert 'aria-invalid="true"' in html
    assert not Delegate.objects.exists()


def test_what_was_typed_is_kept_after_an_error(client, booking):
    response = post(client, booking.session, email="", name="Sam Jones", adjustments="Hearing loop please")
    html = response.content.decode()
    assert 'value="Sam Jones"' in html and "Hearing loop please</textarea>" in html


def test_registering_twice_is_an_error_on_the_email_field(client, booking):
    post(client, booking.session)
    response = post(client, booking.session, name="Sam J", email="SAM.JONES@example.org")
    assert response.status_code == 400
    assert (
        '<a class="alert-link" href="#id_email">SAM.JONES@example.org is already registered for this course. '
        "Each person registers once.</a>" in response.content.decode()
    )
    assert booking.delegates.count() == 1


def test_a_full_course_says_so_and_names_the_coordinator_to_ask(client, booking):
    for n in range(3):
        register(booking.session, n)
    response = client.get(register_url(booking.session))
    page = text(response)
    assert "This course is full" in page
    assert "all 3 places are taken. Ask Priya Shah (priya.shah@example.org) about another date." in page
    assert 'href="mailto:priya.shah@example.org"' in response.content.decode()
    assert "<form" not in response.content.decode().split('id="main"')[1].split("</main>")[0]

    # Someone who had the form open when the last place went is told the same, and nothing is added.
    response = post(client, booking.session, email="late@example.org")
    assert response.status_code == 409
    assert "all 3 places are taken" in text(response)
    assert booking.delegates.count() == 3


def test_a_closed_or_cancelled_course_says_so(client, booking):
    CourseSession.objects.filter(pk=booking.session_id).update(booking_closes_at=timezone.now() - timedelta(hours=1))
    page = text(client.get(register_url(booking.session)))
    assert "Registration has closed" in page and "Ask Priya Shah (priya.shah@example.org)" in page
    assert post(client, booking.session).status_code == 409
    assert not booking.delegates.exists()

    services.session_cancel(session=booking.session)
    page = text(client.get(register_url(booking.session)))
    assert "This course has been cancelled" in page


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "1.abc:def",
        "..",
        "%00",
        "9999999.x:y",
    ],
)
def test_a_bad_token_is_a_404(client, booking, token):
    assert client.get(reverse("booking:register", args=[token])).status_code == 404
    assert (
        client.post(reverse("booking:register", args=[token]), {"name": "A", "email": "a@example.org"}).status_code
        == 404
    )


def test_a_tampered_or_revoked_token_is_a_404(client, booking):
    token = links.registration_token(booking.session)
    _pk, rest = token.split(".", 1)
    other = make_in_house(course=booking.session.course)
    forged = f"{other.session_id}.{rest}"
    assert client.get(reverse("booking:register", args=[forged])).status_code == 404
    assert client.get(reverse("booking:register", args=[token[:-2] + "xx"])).status_code == 404
    # A new key on the session revokes every link given out before.
    CourseSession.objects.filter(pk=booking.session_id).update(registration_key="new-key-123")
    assert client.get(reverse("booking:register", args=[token])).status_code == 404


def test_a_public_session_has_no_registration_page(client):
    session = make_session()
    token = links.registration_token(session)  # well signed, but not an in-house session
    assert client.get(reverse("booking:register", args=[token])).status_code == 404


# The coordinator's register: the host booking's manage page ---------------------------------------


def test_the_register_shows_the_link_to_share_who_registered_and_the_agreed_price(client, booking):
    register(booking.session, 1, name="Sam Jones", email="sam@example.org", adjustments="Hearing loop")
    register(booking.session, 2, name="Alex Reid", email="alex@example.org", job_role="Healthcare Assistant")
    response = client.get(manage_url(booking))
    assert response.status_code == 200
    html, page = response.content.decode(), text(response)
    assert "Your register" in page and "Registered: 2 of 3" in page
    assert (
        f'value="http://testserver{register_url(booking.session)}"' in html
        or links.registration_url(booking.session) in html
    )
    assert 'id="registration-link"' in html and "readonly" in html
    for words in ("Sam Jones", "sam@example.org", "Access needs: Hearing loop", "Alex Reid", "Healthcare Assistant"):
        assert words in page, words
    assert "Agreed price" in page and "£2,020.00 + VAT £404.00 = £2,424.00" in page
    assert "2 × £950.00 = £1,900.00" in page
    # No per-delegate price, no adding delegates (they register), no cancelling online.
    assert "per delegate" not in page and "Add delegates" not in page and "Cancel booking" not in page
    assert "To move or cancel your in-house course, please call us" in page
    assert reverse("booking:substitute", args=[links.manage_token(booking), booking.delegates.first().pk]) in html
    assert reverse("booking:remove_delegate", args=[links.manage_token(booking), booking.delegates.first().pk]) in html


def test_the_coordinator_removes_and_substitutes_from_the_register(client, booking):
    sam = register(booking.session, 1)
    alex = register(booking.session, 2)
    token = links.manage_token(booking)
    response = client.post(
        reverse("booking:substitute", args=[token, alex.pk]),
        {"sub-name": "Jo Patel", "sub-email": "jo.patel@example.org", "sub-job_role": "", "sub-adjustments": ""},
    )
    assert response.status_code == 302
    response = client.post(reverse("booking:remove_delegate", args=[token, sam.pk]))
    assert response.status_code == 302
    assert [d.email for d in booking.delegates.all()] == ["jo.patel@example.org"]
    assert "The delegate has been removed." in text(client.get(manage_url(booking)))


def test_the_register_takes_no_added_delegates_and_no_cancellation(client, booking):
    token = links.manage_token(booking)
    response = client.post(
        reverse("booking:add_delegates", args=[token]),
        {
            "add-TOTAL_FORMS": "1",
            "add-INITIAL_FORMS": "0",
            "add-MIN_NUM_FORMS": "1",
            "add-MAX_NUM_FORMS": "30",
            "add-0-name": "Extra Person",
            "add-0-email": "extra@example.org",
        },
        follow=True,
    )
    assert "People join an in-house course by registering from the registration link." in text(response)
    assert not booking.delegates.exists()
    response = client.post(reverse("booking:cancel", args=[token]), {"confirm": "on"}, follow=True)
    assert "To cancel or move an in-house course, please call us" in text(response)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_the_register_asks_for_the_po_to_invoice_not_to_hold_places(client):
    booking = make_in_house(purchase_order="", po_to_follow=True)
    page = text(client.get(manage_url(booking)))
    assert "Add your purchase order" in page
    assert "We need your purchase order number so that we can invoice: please add it by" in page
    assert "held until" not in page


def test_an_empty_register_says_to_share_the_link(client, booking):
    page = text(client.get(manage_url(booking)))
    assert "Registered: 0 of 3" in page and "No one has registered yet." in page


def test_a_public_booking_keeps_its_manage_page(client):
    booking = make_booking(make_session(capacity=5), count=2)
    page = text(client.get(manage_url(booking)))
    assert "Booking " + booking.reference in page and "Add delegates" in page and "Cancel booking" in page
    assert "Registration link" not in page and "Agreed price" not in page


def test_the_register_lists_the_invoices_with_links_to_their_pdfs(client, booking):
    if not hasattr(booking, "invoices"):
        pytest.skip("no invoicing app: the page shows no invoices section")
    invoices = list(booking.invoices.all())
    if not invoices:
        pytest.skip("the invoicing app issued no invoice for this booking")
    html = client.get(manage_url(booking)).content.decode()
    assert ">Invoices</h2>" in html
    for invoice in invoices:
        pdf = reverse("invoicing:booker_pdf", kwargs={"token": links.manage_token(booking), "number": invoice.number})
        assert f'href="{pdf}"' in html and invoice.number in html


def test_the_coordinator_makes_a_new_registration_link_and_the_old_one_stops_working(client, booking):
    from outbox.models import OutboundEmail

    register(booking.session, 1)
    old = register_url(booking.session)
    response = client.post(reverse("booking:manage_new_registration_link", args=[links.manage_token(booking)]))
    assert response.status_code == 302 and response["Location"] == manage_url(booking)
    booking.session.refresh_from_db()
    new = register_url(booking.session)
    page = client.get(manage_url(booking))
    assert "A new registration link is below" in text(page)
    assert f'{new}"' in page.content.decode()  # the link to share, in its copy box
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    [email] = OutboundEmail.objects.filter(kind="in_house_registration_link")
    assert email.to == [booking.contact_email] and new in email.body_text
    assert booking.delegates.count() == 1  # those registered keep their places


def test_a_public_booking_has_no_registration_link_to_renew(client):
    public = make_booking(make_session(), count=1)
    response = client.post(reverse("booking:manage_new_registration_link", args=[links.manage_token(public)]))
    assert response.status_code == 302
    assert "Only an in-house course has a registration link" in text(client.get(response["Location"]))


def test_the_register_offers_remove_for_the_last_person_too(client, booking):
    only = register(booking.session, 1)
    page = client.get(manage_url(booking)).content.decode()
    assert reverse("booking:remove_delegate", args=[links.manage_token(booking), only.pk]) in page
    public = make_booking(make_session(), count=1)
    page = client.get(manage_url(public)).content.decode()  # a public booking keeps its one delegate
    assert reverse("booking:remove_delegate", args=[links.manage_token(public), public.delegates.get().pk]) not in page
