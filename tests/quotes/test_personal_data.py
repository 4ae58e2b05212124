"""Quotes and invoices in personal-data requests: a subject-access export lists them; an erasure
empties the quotes never accepted (and revokes their links) but keeps accepted quotes and
invoices, which are contract and accounting records, and says so."""

import pytest
from django.urls import reverse

from enquiries.services import person_erase, person_erase_plan, personal_data_export
from invoicing.models import Invoice
from quotes import links, services
from quotes.models import Quote, QuoteStatus
from tests.quotes.conftest import accept, draft

pytestmark = pytest.mark.django_db


def test_the_export_lists_the_persons_quotes_and_invoices(lead, amy, trainer):
    quote = services.quote_send(quote=draft(lead, amy, trainer=trainer), user=amy)
    accept(quote, email=lead.email)
    export = personal_data_export(email=lead.email)
    [exported] = export["quotes"]
    assert (exported["number"], exported["status"], exported["accepted_by"]) == ("Q-00001", "accepted", "Morgan Reid")
    [invoice] = export["invoices"]
    assert invoice["number"] == "INV-000001" and invoice["purchase_order"] == "PO-77812"


def test_an_erasure_empties_quotes_never_accepted_and_keeps_accepted_ones_and_invoices(client, lead, amy, trainer):
    accepted = services.quote_send(quote=draft(lead, amy, trainer=trainer), user=amy)
    accept(accepted, email=lead.email)
    open_quote = services.quote_send(quote=draft(lead, amy), user=amy)  # no trainer: hers are booked
    old_link = reverse("quotes:view", args=[links.quote_token(open_quote)])
    assert client.get(old_link).status_code == 200

    plan = person_erase_plan(lead=lead)
    assert plan.quotes_kept == [accepted]
    assert [invoice.number for invoice in plan.invoices_kept] == ["INV-000001"]
    request = person_erase(lead=lead, reason="Asked us to forget them", actor=amy)
    assert request.counts["quotes_kept"] == 1 and request.counts["invoices_kept"] == 1
    assert "quote Q-00001 version 1 (accepted: kept)" in request.references

    open_quote = Quote.objects.get(pk=open_quote.pk)
    assert open_quote.status == QuoteStatus.SENT
    assert lead.name not in open_quote.contact_name and open_quote.contact_email == ""
    assert client.get(old_link).status_code == 404
    kept = Quote.objects.get(pk=accepted.pk)
    assert kept.accepted_by_name == "Morgan Reid" and kept.contact_email == lead.email
    assert Invoice.objects.filter(number="INV-000001", buyer_email=lead.email).exists()
