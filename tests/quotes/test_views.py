"""The client's quote pages on the signed link: the quote, the acceptance form and its errors,
the confirmation, the PDF, and what an expired, superseded or accepted quote says instead."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from enquiries.models import LeadStatus
from quotes import links, services
from quotes.models import Quote, QuoteStatus
from tests.quotes.conftest import accept, draft

pytestmark = pytest.mark.django_db


def url(quote, name="quotes:view"):
    return reverse(name, args=[links.quote_token(quote)])


def form_data(quote, **overrides):
    first = quote.proposed_dates.first()
    data = {
        "proposed_date": str(first.pk) if first else None,
        "name": "Morgan Reid",
        "job_title": "Head of Learning",
        "email": "morgan.reid@example.org",
        "phone": "01473 555 321",
        "purchase_order": "PO-77812",
        "invoice_address": "Finance, Heath Road, Ipswich IP4 5PD",
        "confirm": "on",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def test_the_signed_link_shows_the_quote_and_the_form(client, sent):
    response = client.get(url(sent))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Quote Q-00001 for De-escalation Skills" in page
    for text in ("De-escalation Skills: 3 days at your site", "£2,850.00", "Total excluding VAT", "£3,030.00",
                 "VAT at 20%", "£606.00", "£3,636.00", sent.valid_until_text, "Ipswich Hospital", "Helen Ward",
                 "Accept this quote", "Download this quote as a PDF"):  # fmt: skip
        assert text in page, text
    # One radio per proposed date, named by its days.
    assert page.count('name="proposed_date"') == 2
    assert "(and the next 2 working days)" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow" and "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("token", ["nonsense", "1.abc:def", "999999.key:sig"])
def test_a_bad_token_is_404(client, sent, token):
    assert client.get(reverse("quotes:view", args=[token])).status_code == 404


def test_a_tampered_or_revoked_token_is_404(client, sent):
    token = links.quote_token(sent)
    assert client.get(reverse("quotes:view", args=[token[:-2] + "xx"])).status_code == 404
    forged = signing.Signer(salt="quotes.view").sign(f"{sent.pk}.wrong-key")
    assert client.get(reverse("quotes:view", args=[forged])).status_code == 404
    Quote.objects.filter(pk=sent.pk).update(signing_key="a-new-key")
    assert client.get(reverse("quotes:view", args=[token])).status_code == 404
    assert client.get(reverse("quotes:pdf", args=[token])).status_code == 404


def test_a_draft_has_no_page(client, quote):
    assert client.get(url(quote)).status_code == 404


def test_accepting_on_the_page_confirms_what_happens_next(client, sent, lead):
    response = client.post(url(sent), form_data(sent))
    assert response.status_code == 302 and response["Location"] == url(sent, "quotes:accepted")
    quote = Quote.objects.get(pk=sent.pk)
    assert quote.status == QuoteStatus.ACCEPTED and quote.host_booking is not None
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON
    page = client.get(response["Location"]).content.decode()
    assert "Thank you: quote Q-00001 is accepted" in page
    assert "We have emailed morgan.reid@example.org a private link to share with your staff" in page
    assert "PO-77812" in page
    # The quote's own page now shows the acceptance, with no form.
    page = client.get(url(sent)).content.decode()
    assert "Accepted on" in page and "Morgan Reid, Head of Learning" in page and "Accept this quote" not in page


def test_the_confirmation_page_of_a_quote_not_accepted_goes_back_to_the_quote(client, sent):
    response = client.get(url(sent, "quotes:accepted"))
    assert response.status_code == 302 and response["Location"] == url(sent)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name"),
        ({"job_title": ""}, "job_title", "Enter your job title"),
        ({"email": "morgan@"}, "email", "Enter an email address in the correct format, like name@example.com"),
        ({"phone": "12"}, "phone", "Enter a UK phone number, like 01473 555012 or 07911 123456"),
        ({"purchase_order": ""}, "purchase_order",
         "Give a purchase order number, or choose &#x27;PO to follow&#x27; if you will send it later"),
        ({"po_to_follow": "on"}, "po_to_follow", "Give a purchase order number or choose &#x27;PO to follow&#x27;, not both"),
        ({"invoice_address": ""}, "invoice_address", "Enter the invoice address"),
        ({"proposed_date": None}, "proposed_date_0", "Choose one of the proposed dates"),
        ({"proposed_date": "999999"}, "proposed_date_0", "Choose one of the proposed dates"),
        ({"confirm": None}, "confirm", "Confirm that you can accept this quote for your organisation"),
    ],
)  # fmt: skip
def test_each_problem_is_shown_in_the_error_summary_and_by_its_field(client, sent, overrides, field, message):
    response = client.post(url(sent), form_data(sent, **overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r"<title>Error: Quote Q-00001", page)
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'<a class="alert-link" href="#id_{field}">{message}</a>' in summary, summary
    assert Quote.objects.get(pk=sent.pk).status == QuoteStatus.SENT


def test_the_trainer_no_longer_free_is_shown_beside_the_dates(client, sent, trainer):
    from booking.services import session_create
    from tests.factories import CourseFactory, VenueFactory

    other = CourseFactory()
    trainer.courses.add(other)
    start = sent.proposed_dates.first().starts_at
    session_create(course=other, venue=VenueFactory(), days=[(start, start + timedelta(hours=7))], capacity=8,
                   trainer=trainer)  # fmt: skip
    response = client.post(url(sent), form_data(sent))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_proposed_date_0">Our trainer is no longer free on' in page
    assert Quote.objects.get(pk=sent.pk).status == QuoteStatus.SENT


def test_an_expired_quote_says_so_and_offers_a_callback(client, sent):
    Quote.objects.filter(pk=sent.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    page = client.get(url(sent)).content.decode()
    assert "This quote expired on" in page and "Accept this quote" not in page
    assert f'href="{reverse("enquiries:callback")}"' in page and "Let's talk: ask us to call you back" in page
    response = client.post(url(sent), form_data(sent))
    assert response.status_code == 409 and "This quote expired on" in response.content.decode()
    assert Quote.objects.get(pk=sent.pk).status == QuoteStatus.SENT


def test_a_superseded_quote_says_so_and_offers_a_callback(client, sent, amy):
    services.quote_send(quote=services.quote_new_version(quote=sent, user=amy), user=amy)
    page = client.get(url(sent)).content.decode()
    assert "A newer version of this quote has been sent" in page and "Accept this quote" not in page
    assert f'href="{reverse("enquiries:callback")}"' in page


def test_a_second_acceptance_on_the_page_shows_the_first(client, sent):
    accept(sent)
    response = client.post(url(sent), form_data(sent, name="Someone Else"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Accepted on" in page and "Morgan Reid" in page and "Someone Else" not in page


def test_dates_to_be_agreed_need_no_date(client, lead, amy, trainer):
    quote = services.quote_send(quote=draft(lead, amy, trainer=trainer, dates_to_be_agreed=True), user=amy)
    page = client.get(url(quote)).content.decode()
    assert 'name="proposed_date"' not in page and "To be agreed with you after you accept" in page
    response = client.post(url(quote), form_data(quote))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "We will call you within two working days to agree the date" in page


def test_the_pdf_downloads(client, sent):
    response = client.get(url(sent, "quotes:pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Quote Q-00001 v1.pdf"'
    assert response.content.startswith(b"%PDF")
