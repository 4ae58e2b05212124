"""The booking form pre-filled from a signed link (booking.links.prefill_*), as the refresher
reminders and the training record use it. The link carries only a signed reference to a delegate;
the page looks up the delegate and their booking's organisation. A good link fills the first
delegate and the organisation; a tampered, expired, foreign one, or one naming a delegate no
longer there, is ignored, and the plain form is shown. No personal detail is in the URL."""

import base64
import contextlib
import re
import time
from datetime import timedelta
from html import unescape
from urllib.parse import unquote

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
CONTACT = ("contact_name", "contact_email")


@pytest.fixture
def delegate():
    booking = make_booking(
        make_session(starts_in_days=10),
        organisation=VALUES["organisation"],
        organisation_type=VALUES["organisation_type"],
        ods_code=VALUES["ods_code"],
        contact_name=VALUES["contact_name"],
        contact_email=VALUES["contact_email"],
    )
    delegate = booking.delegates.get()
    delegate.name, delegate.email, delegate.job_role = VALUES["name"], VALUES["email"], VALUES["job_role"]
    delegate.save()
    return delegate


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


def assert_plain_form(page):
    for name in ("form-0-name", "form-0-email", "organisation", "ods_code", "contact_name", "contact_email"):
        assert input_value(page, name) == ""
    assert "Sam O" not in page and "East Coast" not in page


def old_token(delegate, age, *, with_contact=True):
    """A token signed `age` ago, as prefill_token() would have made it then."""

    class Then(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time() - age.total_seconds()))

    return Then(salt=links.PREFILL_SALT).sign(f"{delegate.pk}.{int(with_contact)}")


def decoded_forms(text):
    """The text, URL-decoded, and every base64 piece of it decoded (in either alphabet, padded)."""
    text = unquote(text)
    forms = [text]
    for piece in re.findall(r"[A-Za-z0-9_\-+/]{4,}", text):
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            with contextlib.suppress(ValueError):
                forms.append(decode(piece + "=" * (-len(piece) % 4)).decode("latin-1"))
    return forms


def test_a_valid_token_stands_for_the_delegate_and_their_booking(delegate):
    assert links.prefill_values(links.prefill_token(delegate)) == VALUES


def test_without_contact_the_booker_is_left_out(delegate):
    values = links.prefill_values(links.prefill_token(delegate, with_contact=False))
    assert values == {k: v for k, v in VALUES.items() if k not in CONTACT}


def test_the_url_opens_the_sessions_booking_form(settings, delegate):
    session = make_session()
    url = links.prefill_url(session, delegate)
    assert url.startswith(f"{settings.SITE_URL}/book/{session.pk}/?prefill=")


def test_no_name_email_or_organisation_is_in_the_url_even_decoded(delegate):
    session = make_session()
    for with_contact in (True, False):
        url = links.prefill_url(session, delegate, with_contact=with_contact)
        # Only the delegate's id and the flag, then the time and the signature.
        token = url.split("?prefill=")[1]
        assert re.fullmatch(rf"{delegate.pk}\.{int(with_contact)}:[\w-]+:[\w-]+", token)
        forms = decoded_forms(url)
        words = {part for value in VALUES.values() for part in re.split(r"[@.\s']", value) if len(part) >= 4}
        for word in (words | set(VALUES.values())) - {"example", "nhs"}:
            assert not any(word.casefold() in form.casefold() for form in forms), (word, url)


def test_a_valid_link_fills_the_first_delegate_and_the_organisation(client, delegate):
    session = make_session()
    page = open_form(client, session, links.prefill_token(delegate))
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


def test_a_link_without_contact_leaves_the_booker_empty(client, delegate):
    session = make_session()
    page = open_form(client, session, links.prefill_token(delegate, with_contact=False))
    assert input_value(page, "form-0-name") == "Sam O'Neill"
    assert input_value(page, "organisation") == "East Coast NHS Trust"
    assert input_value(page, "contact_name") == "" and input_value(page, "contact_email") == ""


def test_a_pre_filled_form_books_like_any_other(client, delegate):
    session = make_session()
    page = open_form(client, session, links.prefill_token(delegate))
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
        lambda token: "9" + token,  # the delegate's id
        lambda token: token.replace(".1:", ".0:", 1),  # without contact
        lambda token: "",
        lambda token: "not a token at all",
    ],
)
def test_a_tampered_link_shows_the_plain_form(client, delegate, tamper):
    session = make_session()
    token = links.prefill_token(delegate)
    assert tamper(token) != token
    assert_plain_form(open_form(client, session, tamper(token)))


def test_an_expired_link_shows_the_plain_form(client, delegate):
    session = make_session()
    assert_plain_form(open_form(client, session, old_token(delegate, timedelta(days=181))))
    # ... while one just inside the 180 days still works.
    page = open_form(client, session, old_token(delegate, timedelta(days=179)))
    assert input_value(page, "form-0-name") == "Sam O'Neill"


def test_a_link_to_a_delegate_no_longer_there_shows_the_plain_form(client, delegate):
    session = make_session()
    token = links.prefill_token(delegate)
    delegate.delete()
    assert links.prefill_values(token) == {}
    assert_plain_form(open_form(client, session, token))


def test_another_kind_of_signed_link_is_not_a_prefill_link(client, delegate):
    booking = delegate.booking
    reference = f"{delegate.pk}.1"
    assert links.prefill_values(training_record_token(booking)) == {}
    assert links.prefill_values(links.manage_token(booking)) == {}
    assert links.prefill_values(signing.TimestampSigner(salt="booking.manage").sign(reference)) == {}
    assert links.prefill_values(signing.Signer(salt=links.PREFILL_SALT).sign(reference)) == {}  # untimed
    assert links.prefill_values(signing.dumps(VALUES, salt=links.PREFILL_SALT)) == {}  # the old kind
    for odd in ("x.1", "-1.1", f"{delegate.pk}", f"{delegate.pk}.2", f"{delegate.pk}.1.1", "١.1", " 1.1"):
        assert links.prefill_values(signing.TimestampSigner(salt=links.PREFILL_SALT).sign(odd)) == {}, odd
