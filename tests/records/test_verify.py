"""The public certificate check: valid, expired or not found, by the number however it is typed;
what it shows (the name on the certificate, never the organisation or the email); the rate
limit; and the holder's PDF link."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from records import links
from records.models import Certificate
from tests.invoicing.conftest import pdf_text

from .test_certificate_pdf import issue_certificate

pytestmark = pytest.mark.django_db

URL = reverse("records:verify")


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def day(value):
    return f"{value.day} {value:%B %Y}"


def text_of(response):
    """The page's main content as a person reads it: tags removed, whitespace made single."""
    main = response.content.decode().split('<main id="main"', 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())
    return re.sub(r" ([.,:])", r"\1", text)


def check(client, number, **extra):
    return client.get(URL, {"number": number}, **extra)


@pytest.fixture
def valid():
    today = timezone.localdate()
    return issue_certificate(
        name="Priya Shah",
        email="priya.shah@example.org",
        organisation="Orwell Care Homes Ltd",
        completed_on=today - timedelta(days=30),
        title="De-escalation Skills",
        certificate_validity_months=12,
    )


@pytest.fixture
def expired():
    certificate = issue_certificate(
        name="Tom Reid",
        email="tom.reid@example.org",
        organisation="Felixstowe Academy",
        completed_on=timezone.localdate() - timedelta(days=800),
        title="Managing Violence and Aggression",
        certificate_validity_months=24,
    )
    assert certificate.expires_on < timezone.localdate()
    return certificate


def test_the_empty_form_is_a_public_page(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Check a certificate" in html
    assert 'name="robots"' not in html  # the form itself may be found by search engines
    field = re.search(r"<input[^>]*name=\"number\"[^>]*>", html).group(0)
    for attribute in ('autocomplete="off"', 'inputmode="text"', 'spellcheck="false"', 'type="text"'):
        assert attribute in field, attribute
    assert re.search(r'<label\s+for="id_number"[^>]*>\s*Certificate number', html)
    assert 'aria-describedby="id_number_helptext"' in field and "for example 7K3M-9QXP-2H4D" in html
    assert '<form method="get"' in html


def test_a_valid_certificate(client, valid):
    response = check(client, valid.number)
    assert response.status_code == 200
    text = text_of(response)
    assert "Valid" in text and f"Certificate {valid.number} is valid until {day(valid.expires_on)}" in text
    assert "Name on the certificate Priya Shah" in text
    assert f"Course {valid.course_title}" in text
    assert f"Completed on {day(valid.completed_on)}" in text
    assert f"Valid until {day(valid.expires_on)}" in text
    html = response.content.decode()
    assert "<title>Valid: Check a certificate" in html
    assert '<meta name="robots" content="noindex">' in html and response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]


def test_one_that_does_not_expire(client):
    certificate = issue_certificate(certificate_validity_months=None)
    text = text_of(check(client, certificate.number))
    assert f"Certificate {certificate.number} is valid." in text and "Valid until Does not expire" in text


def test_an_expired_certificate(client, expired):
    response = check(client, expired.number)
    assert response.status_code == 200
    text = text_of(response)
    assert "Expired" in text and "Valid:" not in text
    assert f"has expired: it was valid until {day(expired.expires_on)}" in text
    assert "Name on the certificate Tom Reid" in text and f"Course {expired.course_title}" in text
    assert f"Expired on {day(expired.expires_on + timedelta(days=1))}" in text
    assert "<title>Expired: Check a certificate" in response.content.decode()


def test_the_last_valid_day_is_still_valid(client, valid):
    Certificate.objects.filter(pk=valid.pk).update(expires_on=timezone.localdate())
    assert "<title>Valid:" in check(client, valid.number).content.decode()
    Certificate.objects.filter(pk=valid.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert "<title>Expired:" in check(client, valid.number).content.decode()


def test_a_number_not_issued_is_not_found(client, valid):
    other = "7K3M-9QXP-2H4D" if valid.number != "7K3M-9QXP-2H4D" else "7K3M-9QXP-2H4E"
    response = check(client, other)
    assert response.status_code == 200
    text = text_of(response)
    assert f"Not found We have no certificate with the number {other}." in text
    assert "Check the number against the certificate" in text and "contact us" in text
    assert "Priya" not in text


@pytest.mark.parametrize(
    "typed",
    [
        lambda n: n.lower(),
        lambda n: n.replace("-", " ").lower(),
        lambda n: f"  {n.replace('-', '')}  ",
        lambda n: n.replace("0", "O").replace("1", "l"),
    ],
    ids=["lower case", "spaces for dashes", "no dashes", "O for 0 and l for 1"],
)
def test_the_number_as_people_type_it(client, typed):
    certificate = issue_certificate()
    # A number with a 0 and a 1 in it, to show that O and l are read as them.
    Certificate.objects.filter(pk=certificate.pk).update(number="7K30-9QXP-2H1D")
    response = check(client, typed("7K30-9QXP-2H1D"))
    assert "<title>Valid:" in response.content.decode()
    # The field then shows the number as printed.
    assert 'value="7K30-9QXP-2H1D"' in response.content.decode()


@pytest.mark.parametrize("typed", ["", "   ", "7K3M-9QXP", "7K3M-9QXP-2H4D-9", "7K3M-9QXP-2H4!", "Ü" * 12, "7" * 500])
def test_a_malformed_number_is_a_field_error_and_is_not_counted(client, settings, valid, typed):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT_PER_HOUR = 1
    for _ in range(3):
        response = check(client, typed)
        assert response.status_code == 400
        html = response.content.decode()
        assert "<title>Error: Check a certificate" in html
        assert "There is a problem" in html and 'href="#id_number"' in html
        blank = not typed.strip()
        assert ("Enter the certificate number" if blank else "Enter a certificate number of 12 letters") in html
        assert 'aria-invalid="true"' in html
        assert "Valid" not in text_of(response) and "Not found" not in text_of(response)
    # None of those counted: the one allowed lookup still goes through.
    assert check(client, valid.number).status_code == 200


def test_too_many_lookups_are_refused_with_429(client, settings, valid):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT_PER_HOUR = 3
    for number in [valid.number, "AAAA-BBBB-CCCC", valid.number]:
        assert check(client, number).status_code == 200
    refused = check(client, valid.number)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    text = text_of(refused)
    assert "Too many checks" in text and "try again in an hour" in text
    assert "Priya" not in text and "Valid until" not in text  # no answer given
    assert "<title>Too many checks: Check a certificate" in refused.content.decode()
    # Counted per client address: another address still gets its answer.
    assert check(client, valid.number, REMOTE_ADDR="198.51.100.7").status_code == 200
    # The empty form is not a lookup and is always shown.
    assert client.get(URL).status_code == 200


def test_only_the_name_is_shown_never_the_organisation_or_email(client, valid, expired):
    for certificate in (valid, expired):
        html = check(client, certificate.number).content.decode()
        assert certificate.holder_name in html
        assert certificate.organisation not in html
        assert certificate.holder_email not in html
        assert certificate.holder_email.split("@")[0] not in html


def test_only_get(client):
    assert client.post(URL, {"number": "7K3M-9QXP-2H4D"}).status_code == 405


# The holder's PDF link --------------------------------------------------------------------------


def test_the_pdf_link_serves_the_certificate_inline(client, valid):
    response = client.get(reverse("records:certificate_pdf", args=[links.certificate_token(valid)]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="certificate-{valid.number}.pdf"'
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "Priya Shah" in pdf_text(response.content)


@pytest.mark.parametrize(
    "token",
    ["nonsense", "7K3M-9QXP-2H4D", "{number}:tampered", "{number}", "{token}x"],
)
def test_the_pdf_link_with_a_bad_token_is_404(client, valid, token):
    token = token.format(number=valid.number, token=links.certificate_token(valid))
    response = client.get(reverse("records:certificate_pdf", args=[token]))
    assert response.status_code == 404
    assert "application/pdf" not in response["Content-Type"]
