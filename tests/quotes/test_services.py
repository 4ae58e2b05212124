"""The quote services: drafting from a lead, sending (checks, numbers, email, lead status and
timeline), versions, expiry, acceptance and its refusals, scheduling a quote whose dates were to
be agreed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enquiries.models import LeadActivity, LeadStatus
from outbox.models import OutboundEmail
from quotes import services
from quotes.models import LineKind, Quote, QuoteStatus
from quotes.services.acceptance import agreed_lines
from tests.factories import CourseFactory, VenueFactory
from tests.quotes.conftest import DISCOUNT, LINES, accept, draft, working_start

pytestmark = pytest.mark.django_db


def messages(error):
    return error.value.message_dict if hasattr(error.value, "error_dict") else {"__all__": error.value.messages}


# Drafting -----------------------------------------------------------------------------------------


def test_a_quote_is_prefilled_from_the_lead(lead, amy, course, settings):
    quote = services.quote_create(lead=lead, user=amy)
    assert quote.status == QuoteStatus.DRAFT and quote.number == "" and quote.version == 1
    assert (quote.contact_name, quote.contact_email, quote.organisation) == (
        "Jordan Ellis", "jordan.ellis@example.org", "East Suffolk NHS Trust",
    )  # fmt: skip
    assert quote.course == course
    assert quote.delegates == 16  # 40 staff asked about: one usual group per session
    assert (quote.site_name, quote.site_town) == ("East Suffolk NHS Trust", "Ipswich")
    assert quote.valid_until == timezone.localdate() + timedelta(days=settings.QUOTE_VALID_DAYS)
    assert quote.terms_version == settings.QUOTE_TERMS_VERSION
    assert quote.created_by == amy


def test_a_quote_needs_a_course(lead, amy):
    lead.courses.clear()
    with pytest.raises(ValidationError) as error:
        services.quote_create(lead=lead, user=amy)
    assert messages(error) == {"course": ["Choose the course to quote for."]}
    assert not Quote.objects.exists()


def test_a_negative_price_is_refused_and_nothing_is_saved(quote):
    with pytest.raises(ValidationError) as error:
        services.quote_line_add(
            quote=quote, kind=LineKind.TRAVEL, description="Travel", quantity=Decimal("1"), unit_price=Decimal("-5")
        )
    assert "A price cannot be negative: enter a discount as a positive amount." in messages(error)["unit_price"]
    assert quote.lines.count() == 2


def test_a_discount_takes_off_and_the_totals_add_up(lead, amy):
    quote = draft(lead, amy, lines=[*LINES, DISCOUNT])
    lines = list(quote.lines.all())
    assert [line.amount for line in lines] == [Decimal("2850.00"), Decimal("180.00"), Decimal("-100.00")]
    assert quote.totals() == {
        "net": Decimal("2930.00"), "vat": Decimal("586.00"), "gross": Decimal("3516.00"), "vat_percent": "20%",
    }  # fmt: skip
    # The host booking's agreed price carries the discount as a negative line, as entered.
    assert agreed_lines(quote)[-1] == {"description": "Returning client discount", "quantity": "1",
                                       "unit_price": "-100.00"}  # fmt: skip


def test_a_quote_with_a_discount_can_be_accepted(lead, amy, trainer):
    quote = services.quote_send(quote=draft(lead, amy, trainer=trainer, lines=[*LINES, DISCOUNT]), user=amy)
    accept(quote)
    booking = Quote.objects.get(pk=quote.pk).host_booking
    assert booking.agreed_lines[-1]["unit_price"] == "-100.00" and booking.totals()["net"] == Decimal("2930.00")


def test_vat_is_rounded_half_up_to_the_penny(lead, amy):
    quote = draft(lead, amy, lines=[{"kind": LineKind.MATERIALS, "description": "Workbooks",
                                     "quantity": Decimal("2.5"), "unit_price": Decimal("0.05")}])  # fmt: skip
    # 2.5 x 0.05 = 0.125 -> 0.13; VAT on 0.13 is 0.026 -> 0.03.
    assert quote.lines.get().amount == Decimal("0.13")
    assert quote.totals()["vat"] == Decimal("0.03")


# Sending ------------------------------------------------------------------------------------------


def test_sending_numbers_the_quote_emails_it_and_moves_the_lead(sent, lead, amy):
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT and sent.number == "Q-00001" and sent.version == 1
    assert sent.sent_by == amy and sent.sent_at is not None
    email = OutboundEmail.objects.get(kind="quote_sent")
    assert email.to == ["jordan.ellis@example.org"] and email.lead == lead
    assert email.attachments == [{"filename": "Quote Q-00001 v1.pdf", "mimetype": "application/pdf",
                                  "document": f"quote:{sent.pk}"}]  # fmt: skip
    assert "/quotes/" in email.body_text and "£3,636.00" in email.body_text
    assert email.reply_to == ["amy@example.com"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.PROPOSAL_SENT
    entry = lead.activities.filter(kind=LeadActivity.Kind.EMAIL).get()
    assert entry.text.startswith("Quote Q-00001 version 1 sent to jordan.ellis@example.org")
    assert entry.author == amy


def test_each_first_send_takes_the_next_number(sent, lead, amy):
    other = draft(lead, amy)
    services.quote_send(quote=other, user=amy)
    assert Quote.objects.get(pk=other.pk).number == "Q-00002"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ("no_lines", "lines", "Add at least one line to the quote"),
        ("too_much_discount", "lines", "The total cannot be negative: make the discount smaller"),
        ("valid_until_today", "valid_until", "Choose a valid-until date in the future"),
        ("date_passed", "proposed_dates", "has passed: propose dates in the future"),
        ("no_dates", "proposed_dates", "Propose at least one date, or tick 'dates to be agreed'"),
        ("dates_and_to_be_agreed", "proposed_dates", "Either propose dates or tick 'dates to be agreed', not both"),
        ("weekend", "proposed_dates", "is not a working day"),
        ("no_postcode", "site_postcode", "Enter the postcode of the training site"),
        ("trainer_busy", "trainer", "Helen Ward is already on Breakaway"),
        ("trainer_not_set_up", "trainer", "Helen Ward is not set up to deliver De-escalation Skills."),
    ],
)
def test_a_quote_that_cannot_go_is_refused_and_nothing_changes(quote, lead, amy, change, field, message):
    if change == "no_lines":
        quote.lines.all().delete()
    elif change == "too_much_discount":
        services.quote_line_add(quote=quote, kind=LineKind.DISCOUNT, description="Too generous",
                                quantity=Decimal("1"), unit_price=Decimal("5000"))  # fmt: skip
    elif change == "valid_until_today":
        services.quote_update(quote=quote, valid_until=timezone.localdate())
    elif change == "date_passed":
        services.quote_date_add(quote=quote, starts_at=timezone.now() - timedelta(days=1))
    elif change == "no_dates":
        quote.proposed_dates.all().delete()
    elif change == "dates_and_to_be_agreed":
        services.quote_update(quote=quote, dates_to_be_agreed=True)
    elif change == "weekend":
        start = working_start(20)
        saturday = start + timedelta(days=(5 - start.weekday()) % 7)
        services.quote_date_add(quote=quote, starts_at=saturday)
    elif change == "no_postcode":
        services.quote_update(quote=quote, site_postcode="")
    elif change == "trainer_busy":
        from booking.services import session_create

        breakaway = CourseFactory(title="Breakaway")
        quote.trainer.courses.add(breakaway)
        start = quote.proposed_dates.last().starts_at
        session_create(course=breakaway, venue=VenueFactory(), days=[(start, start + timedelta(hours=7))],
                       capacity=10, trainer=quote.trainer)  # fmt: skip
    elif change == "trainer_not_set_up":
        quote.trainer.courses.clear()
    with pytest.raises(ValidationError) as error:
        services.quote_send(quote=quote, user=amy)
    assert any(message in text for text in messages(error)[field]), messages(error)
    quote.refresh_from_db()
    lead.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT and quote.number == ""
    assert lead.status == LeadStatus.NEW
    assert not OutboundEmail.objects.filter(kind="quote_sent").exists()
    assert not lead.activities.filter(kind=LeadActivity.Kind.EMAIL).exists()


def test_a_sent_quote_is_never_edited(sent):
    for change in (
        lambda: services.quote_update(quote=sent, delegates=8),
        lambda: services.quote_line_add(
            quote=sent, kind=LineKind.TRAVEL, description="More travel", quantity=Decimal("1"), unit_price=Decimal("10")
        ),  # fmt: skip
        lambda: services.quote_line_remove(line=sent.lines.first()),
        lambda: services.quote_date_add(quote=sent, starts_at=working_start(30)),
    ):
        with pytest.raises(ValidationError, match="make a new version"):
            change()
    assert sent.lines.count() == 2 and sent.proposed_dates.count() == 2
    with pytest.raises(ValidationError, match="already been sent"):
        services.quote_send(quote=sent, user=sent.sent_by)


# Versions -----------------------------------------------------------------------------------------


def test_a_new_version_copies_the_quote_and_supersedes_the_old_one_when_sent(sent, lead, amy):
    new = services.quote_new_version(quote=sent, user=amy)
    assert (new.number, new.version, new.status) == ("Q-00001", 2, QuoteStatus.DRAFT)
    assert [(line.kind, line.description, line.quantity, line.unit_price) for line in new.lines.all()] == [
        (line["kind"], line["description"], line["quantity"], line["unit_price"]) for line in LINES
    ]
    assert [d.starts_at for d in new.proposed_dates.all()] == [d.starts_at for d in sent.proposed_dates.all()]
    # Until it is sent, the first version stands.
    assert Quote.objects.get(pk=sent.pk).status == QuoteStatus.SENT
    assert services.quote_new_version(quote=sent, user=amy) == new  # one draft at a time

    services.quote_line_update(line=new.lines.get(kind=LineKind.TRAVEL), unit_price=Decimal("120.00"))
    services.quote_send(quote=new, user=amy)
    assert Quote.objects.get(pk=sent.pk).status == QuoteStatus.SUPERSEDED
    assert Quote.objects.get(pk=new.pk).status == QuoteStatus.SENT
    texts = list(lead.activities.filter(kind=LeadActivity.Kind.EMAIL).order_by("pk").values_list("text", flat=True))
    assert len(texts) == 2
    assert texts[1].startswith("Quote Q-00001 version 2 sent") and texts[1].endswith("It replaces version 1.")
    email = OutboundEmail.objects.get(kind="quote_sent", unique_key=f"quote_sent:quote-{new.pk}")
    assert "it replaces version 1, which no longer applies" in email.body_text

    with pytest.raises(ValidationError) as error:
        accept(Quote.objects.get(pk=sent.pk))
    assert "A newer version of this quote has been sent" in error.value.messages[0]


def test_a_new_version_comes_from_the_latest_sent_one_only(sent, amy):
    with pytest.raises(ValidationError, match="still a draft"):
        services.quote_new_version(quote=draft(sent.lead, amy), user=amy)
    services.quote_send(quote=services.quote_new_version(quote=sent, user=amy), user=amy)
    with pytest.raises(ValidationError, match="Version 2 is the latest"):
        services.quote_new_version(quote=Quote.objects.get(pk=sent.pk), user=amy)


def test_an_accepted_quote_gets_no_new_version(sent, amy):
    accept(sent)
    with pytest.raises(ValidationError, match="has been accepted"):
        services.quote_new_version(quote=sent, user=amy)


def test_a_draft_version_is_not_sent_once_an_older_one_is_accepted(sent, amy):
    new = services.quote_new_version(quote=sent, user=amy)
    accept(sent)
    with pytest.raises(ValidationError, match="Version 1 of this quote has been accepted"):
        services.quote_send(quote=new, user=amy)
    assert Quote.objects.get(pk=new.pk).status == QuoteStatus.DRAFT


# Expiry -------------------------------------------------------------------------------------------


def test_a_quote_can_be_accepted_on_its_last_day_and_not_the_day_after(sent, monkeypatch):
    sent.valid_until = timezone.localdate() + timedelta(days=5)
    sent.save()
    last_moment = timezone.make_aware(
        timezone.datetime.combine(sent.valid_until, timezone.datetime.max.time()), timezone.get_current_timezone()
    )
    assert not sent.is_expired(timezone.localdate(last_moment))
    next_morning = last_moment + timedelta(microseconds=1)
    monkeypatch.setattr(timezone, "now", lambda: next_morning)
    assert sent.is_expired() and sent.state() == "expired"
    with pytest.raises(ValidationError) as error:
        accept(sent)
    expected = f"This quote expired on {sent.valid_until:%a} {sent.valid_until.day} {sent.valid_until:%B %Y}"
    assert error.value.messages[0].startswith(expected)
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT and sent.accepted_at is None
    assert sent.lead.status == LeadStatus.PROPOSAL_SENT

    monkeypatch.setattr(timezone, "now", lambda: last_moment - timedelta(hours=2))
    accept(sent)
    assert Quote.objects.get(pk=sent.pk).status == QuoteStatus.ACCEPTED


# Acceptance ---------------------------------------------------------------------------------------


def test_accepting_records_it_wins_the_lead_tells_the_owner_and_books_the_course(sent, lead, trainer, amy):
    chosen = sent.proposed_dates.last()
    accept(sent, proposed_date=chosen)
    quote = Quote.objects.get(pk=sent.pk)
    assert quote.status == QuoteStatus.ACCEPTED and quote.accepted_at is not None
    assert (quote.accepted_by_name, quote.accepted_by_job_title, quote.accepted_by_email) == (
        "Morgan Reid", "Head of Learning", "morgan.reid@example.org",
    )  # fmt: skip
    assert (quote.purchase_order, quote.po_to_follow, quote.chosen_date) == ("PO-77812", False, chosen)

    booking = quote.host_booking
    session = booking.session
    assert session.is_in_house and session.trainer == trainer and session.capacity == 16
    assert session.course == quote.course and session.venue.name == "Ipswich Hospital"
    assert session.venue.postcode == "IP4 5PD"
    days = list(session.days.order_by("starts_at"))
    assert len(days) == 3 and days[0].starts_at == chosen.starts_at
    assert (booking.contact_name, booking.contact_email, booking.purchase_order) == (
        "Morgan Reid", "morgan.reid@example.org", "PO-77812",
    )  # fmt: skip
    assert booking.organisation == "East Suffolk NHS Trust" and booking.organisation_type == "nhs"
    assert booking.agreed_lines == [
        {"description": "De-escalation Skills: 3 days at your site", "quantity": "3", "unit_price": "950.00"},
        {"description": "Trainer's travel and accommodation", "quantity": "1", "unit_price": "180.00"},
    ]
    assert booking.terms_version == quote.terms_version

    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON and list(lead.bookings.all()) == [booking]
    texts = list(lead.activities.values_list("text", flat=True))
    assert any(text.startswith("Quote Q-00001 version 1 accepted by Morgan Reid, Head of Learning") for text in texts)
    assert any(text.startswith("In-house course booked from quote Q-00001 v1") for text in texts)

    to_owner = OutboundEmail.objects.get(kind="quote_accepted")
    assert to_owner.to == ["amy@example.com"] and "Morgan Reid, Head of Learning" in to_owner.body_text
    assert "Helen Ward" in to_owner.body_text and booking.reference in to_owner.body_text
    receipt = OutboundEmail.objects.get(kind="quote_acceptance_receipt")
    assert receipt.to == ["morgan.reid@example.org"] and "Purchase order PO-77812" in receipt.body_text


def test_a_lead_nobody_owns_tells_the_sales_inbox(sent, lead, settings):
    lead.owner = None
    lead.save()
    accept(sent)
    assert OutboundEmail.objects.get(kind="quote_accepted").to == [settings.SALES_EMAIL]


def test_a_second_acceptance_is_refused_and_changes_nothing(sent):
    accept(sent)
    first = Quote.objects.get(pk=sent.pk)
    with pytest.raises(ValidationError) as error:
        accept(sent, name="Someone Else", purchase_order="PO-99999")
    assert error.value.messages[0].startswith("This quote was accepted on ")
    again = Quote.objects.get(pk=sent.pk)
    assert (again.accepted_by_name, again.purchase_order, again.accepted_at) == (
        "Morgan Reid", "PO-77812", first.accepted_at,
    )  # fmt: skip
    assert OutboundEmail.objects.filter(kind="quote_accepted").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"purchase_order": ""}, "purchase_order", "Give a purchase order number, or choose 'PO to follow'"),
        ({"po_to_follow": True}, "po_to_follow", "not both"),
        ({"purchase_order": "PO#1"}, "purchase_order", "letters, digits, spaces"),
        ({"name": " "}, "name", "Enter your name"),
        ({"job_title": ""}, "job_title", "Enter your job title"),
        ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
        ({"phone": "+33 1 23 45 67 89"}, "phone", "Enter a UK phone number"),
        ({"invoice_address": ""}, "invoice_address", "Enter the invoice address"),
        ({"proposed_date": None}, "proposed_date", "Choose one of the proposed dates"),
    ],
)
def test_bad_acceptance_details_are_refused_field_by_field(sent, lead, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        accept(sent, **overrides)
    assert message in messages(error)[field][0]
    assert Quote.objects.get(pk=sent.pk).status == QuoteStatus.SENT
    lead.refresh_from_db()
    assert lead.status == LeadStatus.PROPOSAL_SENT and not lead.bookings.exists()


def test_without_a_phone_the_leads_number_is_used(sent, lead):
    accept(sent, phone="")
    quote = Quote.objects.get(pk=sent.pk)
    assert quote.accepted_by_phone == "01473 555987" and quote.host_booking.contact_phone == lead.phone


def test_a_phone_is_needed_when_the_lead_has_none(sent, lead):
    type(lead).objects.filter(pk=lead.pk).update(phone="")
    with pytest.raises(ValidationError) as error:
        accept(Quote.objects.get(pk=sent.pk), phone="")
    assert messages(error) == {"phone": ["Enter your phone number"]}


def test_a_date_from_another_quote_is_not_one_of_the_proposed(sent, lead, amy):
    other = draft(lead, amy)
    with pytest.raises(ValidationError) as error:
        accept(sent, proposed_date=other.proposed_dates.first())
    assert messages(error) == {"proposed_date": ["Choose one of the proposed dates"]}


def test_po_to_follow_is_accepted_and_the_booking_awaits_the_po(sent):
    accept(sent, purchase_order="", po_to_follow=True)
    quote = Quote.objects.get(pk=sent.pk)
    assert quote.po_to_follow and quote.host_booking.status == "awaiting_po"
    receipt = OutboundEmail.objects.get(kind="quote_acceptance_receipt")
    assert "Please send us your purchase order number" in receipt.body_text


def test_a_trainer_no_longer_free_fails_the_acceptance_and_changes_nothing(sent, lead, trainer):
    from booking.services import session_create

    chosen = sent.proposed_dates.first()
    start = chosen.days()[1][0]  # the course's second day
    other = CourseFactory()
    trainer.courses.add(other)
    session_create(
        course=other, venue=VenueFactory(), days=[(start, start + timedelta(hours=7))], capacity=10, trainer=trainer
    )
    with pytest.raises(ValidationError) as error:
        accept(sent, proposed_date=chosen)
    text = messages(error)["proposed_date"][0]
    assert text.startswith("Our trainer is no longer free on ") and "ask us to call you back" in text
    quote = Quote.objects.get(pk=sent.pk)
    assert quote.status == QuoteStatus.SENT and quote.host_booking is None
    lead.refresh_from_db()
    assert lead.status == LeadStatus.PROPOSAL_SENT
    assert not OutboundEmail.objects.filter(kind__in=["quote_accepted", "quote_acceptance_receipt"]).exists()
    # The other date is still free.
    accept(sent, proposed_date=sent.proposed_dates.last())
    assert Quote.objects.get(pk=sent.pk).host_booking.session.trainer == trainer


# Dates to be agreed -------------------------------------------------------------------------------


@pytest.fixture
def sent_tba(lead, amy, trainer):
    quote = draft(lead, amy, trainer=trainer, dates_to_be_agreed=True)
    return services.quote_send(quote=quote, user=amy)


def test_dates_to_be_agreed_are_accepted_without_a_session_then_scheduled_by_staff(sent_tba, lead, amy, trainer):
    accept(sent_tba, proposed_date=None)
    quote = Quote.objects.get(pk=sent_tba.pk)
    assert quote.status == QuoteStatus.ACCEPTED and quote.host_booking is None and quote.chosen_date is None
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON
    assert "The dates are to be agreed" in OutboundEmail.objects.get(kind="quote_accepted").body_text

    with pytest.raises(ValidationError) as error:
        services.quote_schedule(quote=quote, starts_at=timezone.now() - timedelta(days=1), user=amy)
    assert messages(error) == {"starts_at": ["Choose a start in the future."]}
    start = working_start(25)
    booking = services.quote_schedule(quote=quote, starts_at=start, user=amy)
    assert booking.session.starts_at == start and booking.session.trainer == trainer
    assert Quote.objects.get(pk=quote.pk).host_booking == booking
    assert list(lead.bookings.all()) == [booking]
    with pytest.raises(ValidationError, match="already scheduled"):
        services.quote_schedule(quote=quote, starts_at=working_start(35), user=amy)


def test_only_an_accepted_quote_is_scheduled(sent_tba, amy):
    with pytest.raises(ValidationError, match="Only an accepted quote"):
        services.quote_schedule(quote=sent_tba, starts_at=working_start(25), user=amy)


# Demo ---------------------------------------------------------------------------------------------


def test_the_demo_quote_is_sent_with_a_free_trainer(lead, amy, trainer):
    from quotes.demo import demo_quote, load_quotes

    quote = demo_quote(lead=lead, user=amy)
    assert quote.status == QuoteStatus.SENT and quote.trainer == trainer and quote.proposed_dates.count() == 2
    assert quote.totals()["net"] == Decimal("3030.00")  # 3 days × £950 + £180 travel
    assert load_quotes(user=amy) == 0  # once only


def test_the_demo_keeps_no_emails_to_invented_people(lead, amy, trainer, django_capture_on_commit_callbacks):
    from quotes.demo import load_quotes

    with django_capture_on_commit_callbacks(execute=True):
        assert load_quotes(user=amy) == 1
    assert Quote.objects.get().status == QuoteStatus.SENT
    assert not OutboundEmail.objects.filter(kind__startswith="quote_").exists()
