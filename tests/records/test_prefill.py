"""The booking form pre-filled from a signed link (booking.links.prefill_*), as the refresher
reminders and the training record use it: a good link fills the first delegate and the
organisation; a tampered, expired or foreign one is ignored, and the plain form is shown."""

import re
import time
from datetime import timedelta
from html import unescape

import pytest
from django.core import signing

from booking import links
from records.links import training_record_token
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db

VALUES = {
    "name": "Sam O'Neill",
    "email": "sam.oneill@eastcoast.example",
    "job_role": "Staff nurse",
    "organisation": "East Coast NHS Trust",
    "organisation_type": "nhs",
    "ods_code": "RGT",
    "contact_name": "Priya Shah",
    "contact_email": "priya.shah@eastcoast.example",
}


def input_value(page, name):
    tag = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return unescape(value.group(1)) if value else ""


def selected(page, name):
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, flags=re.S).group(1)
    option = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return option.group(1) if option else ""


def open_form(client, session, token):
    response = client.get(f"/book/{session.pk}/", {"prefill": token})
    assert response.status_code == 200
    return response.content.decode()


def old_token(values, age):
    """A token signed `age` ago, as signing.dumps() would have made it then."""

    class Then(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time() - age.total_seconds()))

    return Then(salt=links.PREFILL_SALT).sign_object(values, compress=True)


def test_the_values_round_trip_and_unknown_ones_are_dropped():
    token = links.prefill_token({**VALUES, "purchase_order": "PO-1", "notes": "", "job_role": ""})
    assert links.prefill_values(token) == {k: v for k, v in VALUES.items() if k != "job_role"}


def test_the_url_opens_the_sessions_booking_form(settings):
    session = make_session()
    url = links.prefill_url(session, VALUES)
    assert url.startswith(f"{settings.SITE_URL}/book/{session.pk}/?prefill=")


def test_a_valid_link_fills_the_first_delegate_and_the_organisation(client):
    session = make_session()
    page = open_form(client, session, links.prefill_token(VALUES))
    assert input_value(page, "form-0-name") == "Sam O'Neill"
    assert input_value(page, "form-0-email") == "sam.oneill@eastcoast.example"
    assert input_value(page, "form-0-job_role") == "Staff nurse"
    assert input_value(page, "organisation") == "East Coast NHS Trust"
    assert selected(page, "organisation_type") == "nhs"
    assert input_value(page, "ods_code") == "RGT"
    assert input_value(page, "contact_name") == "Priya Shah"
    assert input_value(page, "contact_email") == "priya.shah@eastcoast.example"
    assert input_value(page, "form-TOTAL_FORMS") == "1"
    assert "There is a problem" not in page  # starting values, not a submitted form


def test_a_pre_filled_form_books_like_any_other(client):
    session = make_session()
    page = open_form(client, session, links.prefill_token(VALUES))
    data = {
        name: input_value(page, name)
        for name in re.findall(r'<input[^>]*name="([^"]+)"', page)
        if name != "csrfmiddlewaretoken"
    }
    data.update(
        organisation_type=selected(page, "organisation_type"),
        contact_phone="01473 555 012",
        invoice_address="Finance, 1 Hospital Road, Ipswich IP4 5PD",
        purchase_order="PO-4471",
        accept_terms="on",
        action="review",
    )
    data.pop("po_to_follow", None)
    data.pop("join_waitlist", None)
    response = client.post(f"/book/{session.pk}/", data)
    assert response.status_code == 302 and response["Location"] == f"/book/{session.pk}/review/"
    review = client.get(response["Location"]).content.decode()
    assert "Sam O&#x27;Neill" in review and "sam.oneill@eastcoast.example" in review


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the signature
        lambda token: "x" + token,  # the payload
        lambda token: "",
        lambda token: "not a token at all",
    ],
)
def test_a_tampered_link_shows_the_plain_form(client, tamper):
    session = make_session()
    page = open_form(client, session, tamper(links.prefill_token(VALUES)))
    assert input_value(page, "form-0-name") == ""
    assert input_value(page, "organisation") == ""
    assert "Sam O" not in page


def test_an_expired_link_shows_the_plain_form(client):
    session = make_session()
    page = open_form(client, session, old_token(VALUES, timedelta(days=181)))
    assert input_value(page, "form-0-name") == "" and input_value(page, "contact_email") == ""
    # ... while one just inside the 180 days still works.
    page = open_form(client, session, old_token(VALUES, timedelta(days=179)))
    assert input_value(page, "form-0-name") == "Sam O'Neill"


def test_another_kind_of_signed_link_is_not_a_prefill_link(client):
    session = make_session()
    booking = make_booking(session)
    assert links.prefill_values(training_record_token(booking)) == {}
    assert links.prefill_values(signing.dumps(VALUES, salt="booking.manage")) == {}
    assert links.prefill_values(signing.dumps(["a", "list"], salt=links.PREFILL_SALT)) == {}


def test_overlong_values_are_cut_to_what_the_form_takes():
    token = links.prefill_token({**VALUES, "name": "N" * 500})
    assert links.prefill_values(token)["name"] == "N" * 150
