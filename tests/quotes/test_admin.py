"""The quote admin as a Sales user: from the lead's page to a draft, its lines and dates inline,
"Save and send", read-only once sent, a new version, the PDF, and scheduling a quote accepted
with dates to be agreed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from enquiries.models import LeadStatus
from outbox.models import OutboundEmail
from quotes import services
from quotes.models import Quote, QuoteStatus
from tests.quotes.conftest import accept, draft, working_start

pytestmark = pytest.mark.django_db


def add_url(lead):
    return reverse("admin:quotes_quote_add") + f"?lead={lead.pk}"


def change_url(quote):
    return reverse("admin:quotes_quote_change", args=[quote.pk])


def local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def post_data(quote_fields, lines=(), dates=(), *, initial_lines=0, initial_dates=0, button="_continue"):
    data = {
        **quote_fields,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial_lines),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "proposed_dates-TOTAL_FORMS": str(len(dates)),
        "proposed_dates-INITIAL_FORMS": str(initial_dates),
        "proposed_dates-MIN_NUM_FORMS": "0",
        "proposed_dates-MAX_NUM_FORMS": "1000",
        button: "1",
    }
    for index, line in enumerate(lines):
        data.update({f"lines-{index}-{name}": value for name, value in line.items()})
    for index, date in enumerate(dates):
        data.update({f"proposed_dates-{index}-{name}": value for name, value in date.items()})
    return data


def quote_fields(lead, course, trainer, **overrides):
    fields = {
        "contact_name": lead.name,
        "contact_email": lead.email,
        "organisation": lead.organisation,
        "course": str(course.pk),
        "delegates": "14",
        "trainer": str(trainer.pk),
        "site_name": "Ipswich Hospital",
        "site_address": "Heath Road",
        "site_town": "Ipswich",
        "site_postcode": "ip4 5pd",
        "valid_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "terms_version": "2026-01",
        "notes": "Includes workbooks and certificates.",
    }
    fields.update(overrides)
    return fields


LINE = {"position": "1", "kind": "course_days", "description": "De-escalation Skills: 3 days", "quantity": "3",
        "unit_price": "950.00"}  # fmt: skip


def test_the_lead_page_lists_its_quotes_and_offers_create_quote(amy_client, lead, sent, amy):
    draft(lead, amy)
    page = amy_client.get(reverse("admin:enquiries_lead_change", args=[lead.pk])).content.decode()
    assert f'href="{add_url(lead)}"' in page and ">Create quote</a>" in page
    assert "Q-00001 version 1</a>: De-escalation Skills, £3,636.00 (sent)" in page
    assert "Draft</a>: De-escalation Skills" in page


def test_adding_starts_from_a_lead(amy_client):
    response = amy_client.get(reverse("admin:quotes_quote_add"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:enquiries_lead_changelist")


def test_the_add_form_is_filled_in_from_the_lead(amy_client, lead, course):
    page = amy_client.get(add_url(lead)).content.decode()
    assert 'name="contact_name" value="Jordan Ellis"' in page
    assert 'name="contact_email" value="jordan.ellis@example.org"' in page
    assert 'name="organisation" value="East Suffolk NHS Trust"' in page
    assert f'<option value="{course.pk}" selected>' in page
    assert 'name="delegates" value="16"' in page
    assert 'name="site_town" value="Ipswich"' in page
    assert "Save and send to client" in page


def test_a_draft_is_saved_with_its_lines_and_dates_through_the_services(amy_client, lead, course, trainer, amy):
    start = working_start(20)
    response = amy_client.post(
        add_url(lead), post_data(quote_fields(lead, course, trainer), [LINE], [{"starts_at": local(start)}])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    quote = Quote.objects.get()
    assert response["Location"] == change_url(quote)
    assert quote.status == QuoteStatus.DRAFT and quote.lead == lead and quote.created_by == amy
    assert quote.site_postcode == "IP4 5PD" and quote.delegates == 14
    assert [(line.description, line.quantity_text, str(line.unit_price)) for line in quote.lines.all()] == [
        ("De-escalation Skills: 3 days", "3", "950.00")
    ]
    assert [date.starts_at for date in quote.proposed_dates.all()] == [start]
    assert not OutboundEmail.objects.filter(kind="quote_sent").exists()


def test_save_and_send_sends_it(amy_client, lead, course, trainer):
    data = post_data(
        quote_fields(lead, course, trainer), [LINE], [{"starts_at": local(working_start(20))}], button="_send"
    )
    response = amy_client.post(add_url(lead), data, follow=True)
    quote = Quote.objects.get()
    assert quote.status == QuoteStatus.SENT and quote.number == "Q-00001"
    assert "Quote Q-00001 version 1 sent to jordan.ellis@example.org." in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.PROPOSAL_SENT
    assert OutboundEmail.objects.filter(kind="quote_sent").count() == 1


def test_saving_a_draft_sent_meanwhile_from_another_tab_says_so_and_changes_nothing(
    amy_client, lead, course, trainer, amy
):
    fields = quote_fields(lead, course, trainer)
    amy_client.post(add_url(lead), post_data(fields, [LINE], [{"starts_at": local(working_start(20))}]))
    quote = Quote.objects.get()
    services.quote_send(quote=quote, user=amy)  # from another tab, or by a colleague
    response = amy_client.post(change_url(quote), post_data({**fields, "notes": "Changed"}, button="_save"))
    assert response.status_code == 302
    page = amy_client.get(response["Location"]).content.decode()
    assert "Nothing was saved: This quote has been sent" in page
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.notes == "Includes workbooks and certificates."


def test_a_negative_price_is_shown_beside_the_line_and_nothing_is_saved(amy_client, lead, course, trainer):
    data = post_data(quote_fields(lead, course, trainer), [{**LINE, "unit_price": "-950"}])
    response = amy_client.post(add_url(lead), data)
    assert response.status_code == 200
    assert "A price cannot be negative: enter a discount as a positive amount." in response.content.decode()
    assert not Quote.objects.exists()


def test_sending_without_lines_says_why_and_keeps_the_draft(amy_client, lead, course, trainer):
    data = post_data(quote_fields(lead, course, trainer), [], [{"starts_at": local(working_start(20))}], button="_send")
    page = amy_client.post(add_url(lead), data, follow=True).content.decode()
    assert "Saved, but not sent:" in page and "Add at least one line to the quote" in page
    assert Quote.objects.get().status == QuoteStatus.DRAFT


def test_a_sent_quote_is_read_only_and_offers_a_new_version(amy_client, sent, course):
    page = amy_client.get(change_url(sent)).content.decode()
    assert 'name="contact_name"' not in page and 'name="lines-0-description"' not in page
    assert "Save and send to client" not in page and 'value="Save"' not in page
    assert "This quote has been sent, so it cannot be changed" in page
    assert reverse("admin:quotes_quote_new_version", args=[sent.pk]) in page
    assert "Version 1</a>: Sent" in page

    amy_client.post(change_url(sent), {"contact_name": "Changed", "_save": "1"})
    assert Quote.objects.get(pk=sent.pk).contact_name == "Jordan Ellis"

    response = amy_client.post(reverse("admin:quotes_quote_new_version", args=[sent.pk]))
    new = Quote.objects.get(number="Q-00001", version=2)
    assert response.status_code == 302 and response["Location"] == change_url(new)
    assert new.status == QuoteStatus.DRAFT and new.lines.count() == 2
    page = amy_client.get(change_url(new)).content.decode()
    assert "Save and send to client" in page and "Version 1</a>: Sent" in page and "Version 2</a>: Draft" in page


def test_new_version_is_a_post(amy_client, sent):
    assert amy_client.get(reverse("admin:quotes_quote_new_version", args=[sent.pk])).status_code == 405


def test_staff_preview_the_pdf(amy_client, quote):
    response = amy_client.get(reverse("admin:quotes_quote_pdf", args=[quote.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="Draft quote.pdf"'


def test_sales_may_not_delete_a_quote(amy_client, sent):
    assert amy_client.get(reverse("admin:quotes_quote_delete", args=[sent.pk])).status_code == 403


def test_the_list_shows_number_status_and_total(amy_client, sent):
    Quote.objects.filter(pk=sent.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    page = amy_client.get(reverse("admin:quotes_quote_changelist")).content.decode()
    assert "Q-00001 version 1" in page and "Expired (valid until" in page and "£3,636.00" in page


def test_a_quote_accepted_with_dates_to_be_agreed_is_scheduled_from_its_page(amy_client, lead, amy, trainer):
    quote = services.quote_send(quote=draft(lead, amy, trainer=trainer, dates_to_be_agreed=True), user=amy)
    accept(quote, proposed_date=None)
    page = amy_client.get(change_url(quote)).content.decode()
    schedule = reverse("admin:quotes_quote_schedule", args=[quote.pk])
    assert f'href="{schedule}"' in page and "Not scheduled yet" in page

    response = amy_client.post(schedule, {"starts_at": local(timezone.now() - timedelta(days=2))})
    assert response.status_code == 400 and "Choose a start in the future." in response.content.decode()
    start = working_start(30)
    response = amy_client.post(schedule, {"starts_at": local(start)}, follow=True)
    quote.refresh_from_db()
    assert quote.host_booking.session.starts_at == start
    assert "has been sent the registration link" in response.content.decode()
    assert f'href="{schedule}"' not in response.content.decode()


def test_a_drafts_line_is_removed_on_its_page(amy_client, quote):
    line, other = quote.lines.all()
    dates = list(quote.proposed_dates.all())
    fields = {name: getattr(quote, name) for name in ["contact_name", "contact_email", "organisation", "delegates",
                                                       "site_name", "site_address", "site_town", "site_postcode",
                                                       "terms_version", "notes"]}  # fmt: skip
    fields.update(course=str(quote.course_id), trainer=str(quote.trainer_id), valid_until=quote.valid_until.isoformat())
    rows = [
        {"id": str(line.pk), "quote": str(quote.pk), "position": "1", "kind": line.kind, "description": line.description,
         "quantity": "3", "unit_price": "950.00", "DELETE": "on"},
        {"id": str(other.pk), "quote": str(quote.pk), "position": "2", "kind": other.kind,
         "description": other.description, "quantity": "1", "unit_price": "180.00"},
    ]  # fmt: skip
    date_rows = [{"id": str(d.pk), "quote": str(quote.pk), "starts_at": local(d.starts_at)} for d in dates]
    data = post_data(fields, rows, date_rows, initial_lines=2, initial_dates=2)
    response = amy_client.post(change_url(quote), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(quote.lines.values_list("pk", flat=True)) == [other.pk]
