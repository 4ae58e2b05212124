"""The public lead forms (enquiry, callback, newsletter), their spam checks, thank-you pages and
newsletter links, through the Django test client."""

import html as html_entities
import re
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import business_hours, spam
from enquiries import links
from enquiries.forms import CallbackForm
from enquiries.models import Lead, LeadType, NewsletterSubscriber, SubscriberStatus
from outbox.models import OutboundEmail
from tests.factories import CourseFactory, SectorFactory

pytestmark = pytest.mark.django_db

ENQUIRY_URL = "/enquire/"
CALLBACK_URL = "/lets-talk/"
NEWSLETTER_URL = "/newsletter/"


@pytest.fixture(autouse=True)
def lenient_limits(settings):
    """Tests not about the rate limit must not meet it: the count is shared by every test."""
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1000


def shown_a_minute_ago():
    return signing.dumps(time.time() - 60, salt=spam.TIMESTAMP_SALT)


@pytest.fixture
def course():
    return CourseFactory(title="De-escalation Skills", slug="de-escalation-skills")


@pytest.fixture
def sector():
    return SectorFactory(name="Local Authority & Housing", slug="local-authority-housing")


def enquiry_data(**overrides):
    data = {
        "name": "Jordan Ellis",
        "job_title": "Head of Housing Safety",
        "organisation": "Riverside Homes",
        "organisation_type": "housing",
        "email": "jordan.ellis@example.org",
        "phone": "01473 555013",
        "staff_count": "40",
        "preferred_town": "Ipswich",
        "preferred_dates": "Two days in March",
        "settings_worked_in": ["community", "front_desk"],
        "lone_working": "on",
        "previous_training": "E-learning in 2024",
        "message": "Housing officers face aggression on home visits.",
        "heard_about": "search",
        "consent": "on",
        "website": "",
        "rendered_at": shown_a_minute_ago(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def first_slot():
    value, label = business_hours.callback_slots(timezone.now())[0]
    return value, label


def callback_data(**overrides):
    data = {
        "name": "Morgan Price",
        "phone": "07911 123456",
        "organisation": "High Street Stores",
        "slot": "asap",
        "topic": "Conflict management for shop staff",
        "consent": "on",
        "website": "",
        "rendered_at": shown_a_minute_ago(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def newsletter_data(**overrides):
    data = {
        "email": "sam.reader@example.net",
        "name": "Sam Reader",
        "consent": "on",
        "website": "",
        "rendered_at": shown_a_minute_ago(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def html(response):
    return response.content.decode()


def form_action(response, path):
    """The action of the page's form for `path`, as the browser would send it: on a visit with a
    source it carries the first touch (?src=..., see enquiries/attribution.py)."""
    actions = [html_entities.unescape(action) for action in re.findall(r'<form\s[^>]*action="([^"]*)"', html(response))]
    return next(action for action in actions if action.startswith(path))


# In-house enquiry ---------------------------------------------------------------------------------


def test_enquiry_form_page_has_one_h1_hidden_honeypot_and_timestamp(client, course):
    response = client.get(ENQUIRY_URL)
    page = html(response)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    assert re.search(r'<div class="visually-hidden" aria-hidden="true">\s*<label for="id_website">', page)
    assert re.search(r'<input[^>]*name="website"[^>]*tabindex="-1"', page)
    assert 'autocomplete="off"' in page
    assert re.search(r'<input type="hidden" name="rendered_at" value="[^"]+"', page)
    assert "<legend" in page and "Courses you are interested in" in page
    assert 'href="/privacy/"' in page
    assert "novalidate" in page


def test_enquiry_is_prefilled_from_course_and_sector_links(client, course, sector):
    other = CourseFactory(title="Lone Worker Safety")
    page = html(client.get(f"{ENQUIRY_URL}?course={course.slug}&sector={sector.slug}"))
    assert re.search(rf'<input[^>]*name="courses" value="{course.pk}"[^>]*checked', page)
    assert not re.search(rf'<input[^>]*name="courses" value="{other.pk}"[^>]*checked', page)
    assert re.search(rf'<option value="{sector.pk}" selected>', page)
    # Unknown or unpublished slugs are ignored.
    hidden = CourseFactory(is_published=False)
    assert client.get(f"{ENQUIRY_URL}?course={hidden.slug}&sector=nope").status_code == 200


def test_enquiry_creates_one_lead_with_tracking_consent_and_courses(client, course, sector):
    landing = f"{ENQUIRY_URL}?course={course.slug}&utm_source=google&utm_medium=cpc&utm_campaign=nhs-spring"
    page = client.get(landing, HTTP_REFERER="https://www.google.com/")
    before = timezone.now()
    response = client.post(
        form_action(page, ENQUIRY_URL),
        enquiry_data(courses=[course.pk], sector=sector.pk),
        HTTP_REFERER="http://testserver" + landing,
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("enquiries:enquiry_thanks") + "?src=")
    lead = Lead.objects.get()
    assert lead.lead_type == LeadType.ENQUIRY
    assert (lead.name, lead.organisation, lead.email) == ("Jordan Ellis", "Riverside Homes", "jordan.ellis@example.org")
    assert lead.phone.as_national == "01473 555013"
    assert list(lead.courses.all()) == [course]
    assert lead.sector == sector
    assert lead.staff_count == 40
    assert lead.settings_worked_in == ["community", "front_desk"]
    assert lead.lone_working is True and lead.restrictive_practices is False
    assert lead.heard_about == "search"
    assert lead.landing_page == landing
    assert lead.referrer == "https://www.google.com/"
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "nhs-spring")
    assert lead.channel == "google"
    assert lead.consent_at >= before
    assert lead.privacy_notice_version == django_settings.PRIVACY_NOTICE_VERSION
    assert lead.due_at is not None


def test_a_form_posted_without_the_visits_token_is_a_direct_lead_and_nothing_is_kept_in_the_session(client):
    client.get("/courses/", HTTP_REFERER="https://www.linkedin.com/feed/")
    # Posted straight to the form's address, not through the page's link: the visit is unknown,
    # and our own page in the Referer is never taken for where they came from.
    client.post(ENQUIRY_URL, enquiry_data(), HTTP_REFERER="http://testserver/courses/")
    lead = Lead.objects.get()
    assert (lead.channel, lead.landing_page, lead.referrer, lead.utm_source) == ("direct", "", "", "")
    assert "enquiries.arrival" not in client.session


def test_enquiry_thank_you_page_says_when_we_will_reply(client, course):
    client.post(ENQUIRY_URL, enquiry_data())
    lead = Lead.objects.get()
    response = client.get(reverse("enquiries:enquiry_thanks"))
    page = html(response)
    assert response.status_code == 200
    assert f"We will reply {business_hours.thank_you_promise(lead.due_at, timezone.now())}." in page
    assert lead.reference in page
    assert page.count("<h1") == 1


def test_thank_you_pages_show_nothing_to_another_browser(client):
    client.post(ENQUIRY_URL, enquiry_data())
    stranger = Client()
    for name, form in [("enquiry_thanks", ENQUIRY_URL), ("callback_thanks", CALLBACK_URL)]:
        response = stranger.get(reverse(f"enquiries:{name}"))
        assert response.status_code == 302
        assert response["Location"] == form


def test_optional_enquiry_fields_may_be_left_blank(client):
    blank = dict.fromkeys(
        ["job_title", "organisation_type", "phone", "staff_count", "preferred_town", "preferred_dates",
         "previous_training", "message", "heard_about"], "",
    )  # fmt: skip
    response = client.post(ENQUIRY_URL, enquiry_data(settings_worked_in=None, lone_working=None, **blank))
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert not lead.phone and lead.staff_count is None and lead.settings_worked_in == []
    assert lead.courses.count() == 0


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"consent": None}, "consent", "Please tick the box so that we can contact you."),
        ({"email": ""}, "email", "This field is required."),
        ({"organisation": ""}, "organisation", "This field is required."),
        ({"phone": "12345"}, "phone", "Enter a valid phone number"),
        ({"phone": "+1 202 555 0143"}, "phone", "Enter a UK phone number"),
        ({"name": "x" * 151}, "name", "at most 150 characters"),
        ({"message": "x" * 3001}, "message", "at most 3000 characters"),
        ({"preferred_dates": "x" * 201}, "preferred_dates", "at most 200 characters"),
        ({"staff_count": "0"}, "staff_count", "greater than or equal to 1"),
        ({"settings_worked_in": ["moon"]}, "settings_worked_in", "Select a valid choice"),
    ],
)
def test_enquiry_field_errors_create_nothing(client, overrides, field, message):
    response = client.post(ENQUIRY_URL, enquiry_data(**overrides))
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    page = html(response)
    assert "Please correct the highlighted fields" in page
    assert 'id="error-summary"' in page
    assert Lead.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_text_fields_all_have_length_limits():
    from enquiries.forms import EnquiryForm, NewsletterForm

    for form in [EnquiryForm(), CallbackForm(), NewsletterForm()]:
        for name, field in form.fields.items():
            if field.__class__.__name__ in ("CharField", "EmailField", "PhoneNumberField"):
                assert field.max_length or name == "phone", f"{form.__class__.__name__}.{name} has no max_length"


# Spam checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, data",
    [(ENQUIRY_URL, enquiry_data), (CALLBACK_URL, callback_data), (NEWSLETTER_URL, newsletter_data)],
)
def test_filled_honeypot_is_refused_with_a_message_and_nothing_created(client, url, data):
    response = client.post(url, data(website="http://spam.example.com"))
    assert response.status_code == 400
    page = html(response)
    assert "has not been sent" in page
    assert "Your message could not be sent. Please call us instead." in page
    assert Lead.objects.count() == 0
    assert NewsletterSubscriber.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    # Shown again with the honeypot emptied and a new timestamp, so a person can still send it.
    assert response.context["form"].data["website"] == ""


@pytest.mark.parametrize(
    "url, data",
    [(ENQUIRY_URL, enquiry_data), (CALLBACK_URL, callback_data), (NEWSLETTER_URL, newsletter_data)],
)
def test_submitting_too_fast_is_refused_with_a_message(client, settings, url, data):
    settings.LEADS_MIN_SUBMIT_SECONDS = 5
    response = client.post(url, data(rendered_at=spam.form_timestamp()))
    assert response.status_code == 400
    assert "That was very quick" in html(response)
    assert Lead.objects.count() == 0
    assert NewsletterSubscriber.objects.count() == 0


def test_missing_or_forged_timestamp_asks_for_a_reload(client):
    for value in [None, "1700000000", signing.dumps(0, salt="other")]:
        response = client.post(ENQUIRY_URL, enquiry_data(rendered_at=value))
        assert response.status_code == 400
        assert "This form has expired" in html(response)
    assert Lead.objects.count() == 0


def test_a_refused_form_can_be_sent_again_once_corrected(client, settings):
    settings.LEADS_MIN_SUBMIT_SECONDS = 0
    response = client.post(ENQUIRY_URL, enquiry_data(email="", website="bot"))
    form = response.context["form"]
    resend = {**enquiry_data(), "rendered_at": form.data["rendered_at"], "website": form.data["website"]}
    assert client.post(ENQUIRY_URL, resend).status_code == 302
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    "url, data, model",
    [(ENQUIRY_URL, enquiry_data, Lead), (CALLBACK_URL, callback_data, Lead)],
)
def test_rate_limit_refuses_the_third_submission_in_an_hour(client, settings, url, data, model):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 2
    settings.TRUSTED_PROXIES = 1  # the client's address arrives in X-Forwarded-For
    address = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex}"  # a fresh client for this test
    for number in range(2):
        response = client.post(url, data(name=f"Person {number}"), HTTP_X_FORWARDED_FOR=address)
        assert response.status_code == 302
    response = client.post(url, data(name="Person 3"), HTTP_X_FORWARDED_FOR=address)
    assert response.status_code == 429
    assert "We have received several messages from you in the last hour" in html(response)
    assert model.objects.count() == 2
    assert not model.objects.filter(name="Person 3").exists()


def test_invalid_submissions_do_not_use_up_the_rate_limit(client, settings):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1
    settings.TRUSTED_PROXIES = 1
    address = f"test-{uuid.uuid4().hex}"
    for _ in range(3):
        assert client.post(ENQUIRY_URL, enquiry_data(email=""), HTTP_X_FORWARDED_FOR=address).status_code == 400
    assert client.post(ENQUIRY_URL, enquiry_data(), HTTP_X_FORWARDED_FOR=address).status_code == 302


# Callback -----------------------------------------------------------------------------------------


def test_callback_form_offers_asap_and_the_slots_of_the_next_working_days(client):
    response = client.get(CALLBACK_URL)
    page = html(response)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    assert "As soon as possible (within 2 working hours)" in page
    for value, label in business_hours.callback_slots(timezone.now()):
        assert f'value="{value}"' in page
        assert label in page
    assert re.search(r"<legend[^>]*>\s*When is best to call\?", page)


def test_callback_prefills_the_topic_from_a_course_link(client, course):
    page = html(client.get(f"{CALLBACK_URL}?course={course.slug}"))
    assert 'value="De-escalation Skills"' in page


def test_callback_asap_creates_one_lead_due_within_the_sla(client):
    landing = f"{CALLBACK_URL}?utm_source=newsletter&utm_campaign=november"
    page = client.get(landing, HTTP_REFERER="https://mail.example.net/")
    before = timezone.now()
    response = client.post(form_action(page, CALLBACK_URL), callback_data(), HTTP_REFERER="http://testserver" + landing)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("enquiries:callback_thanks") + "?src=")
    lead = Lead.objects.get()
    assert lead.lead_type == LeadType.CALLBACK
    assert lead.phone.as_national == "07911 123456"
    assert lead.topic == "Conflict management for shop staff"
    assert lead.callback_date is None and lead.callback_period == ""
    assert lead.due_at == business_hours.callback_due_at(lead.created_at)
    assert (lead.utm_source, lead.utm_campaign) == ("newsletter", "november")
    assert lead.referrer == "https://mail.example.net/"
    assert lead.landing_page == "/lets-talk/?utm_source=newsletter&utm_campaign=november"
    assert lead.channel == "newsletter"
    assert lead.consent_at >= before
    assert lead.privacy_notice_version == django_settings.PRIVACY_NOTICE_VERSION


def test_callback_needs_only_name_phone_time_and_consent(client):
    response = client.post(CALLBACK_URL, callback_data(organisation="", topic=""))
    assert response.status_code == 302
    assert Lead.objects.get().organisation == ""


def test_callback_in_a_chosen_slot_is_due_at_its_end_and_the_thank_you_page_says_so(client):
    value, _label = first_slot()
    client.post(CALLBACK_URL, callback_data(slot=value))
    lead = Lead.objects.get()
    day, period = business_hours.parse_slot(value)
    assert (lead.callback_date, lead.callback_period) == (day, period)
    assert lead.due_at == business_hours.slot_bounds(day, period)[1]
    page = html(client.get(reverse("enquiries:callback_thanks")))
    promise = business_hours.thank_you_promise(lead.due_at, timezone.now())
    assert f"We will call you {promise} on 07911 123456." in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"consent": None}, "consent", "Please tick the box"),
        ({"phone": ""}, "phone", "This field is required."),
        ({"phone": "020 7946 000"}, "phone", "Enter a valid phone number"),
        ({"phone": "+33 1 42 68 53 00"}, "phone", "Enter a UK phone number"),
        ({"slot": "2001-01-01:am"}, "slot", "That time is no longer available"),
        ({"slot": ""}, "slot", "Choose when we should call you."),
        ({"topic": "x" * 201}, "topic", "at most 200 characters"),
        ({"organisation": "x" * 201}, "organisation", "at most 200 characters"),
    ],
)
def test_callback_field_errors_create_nothing(client, overrides, field, message):
    response = client.post(CALLBACK_URL, callback_data(**overrides))
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert Lead.objects.count() == 0


# Newsletter ---------------------------------------------------------------------------------------


def confirm_path(email_row):
    match = re.search(r"https?://\S+?(/newsletter/confirm/[^/\s]+/)", email_row.body_text)
    assert match, email_row.body_text
    return match.group(1)


def test_newsletter_sign_up_is_pending_with_one_confirmation_email(client, sector):
    page = client.get(NEWSLETTER_URL + "?utm_source=linkedin")
    response = client.post(form_action(page, NEWSLETTER_URL), newsletter_data(sector=sector.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("enquiries:newsletter_sent") + "?src=")
    subscriber = NewsletterSubscriber.objects.get()
    assert subscriber.status == SubscriberStatus.PENDING
    assert (subscriber.email, subscriber.name, subscriber.sector) == ("sam.reader@example.net", "Sam Reader", sector)
    assert (subscriber.utm_source, subscriber.channel, subscriber.landing_page) == (
        "linkedin",
        "linkedin",
        "/newsletter/?utm_source=linkedin",
    )
    assert subscriber.consent_at is not None
    assert subscriber.privacy_notice_version == django_settings.PRIVACY_NOTICE_VERSION
    email = OutboundEmail.objects.get(kind="newsletter_confirm")
    assert email.to == ["sam.reader@example.net"]
    assert links.subscriber_from_confirm_token(confirm_path(email).split("/")[-2]) == subscriber
    page = html(client.get(response["Location"]))
    assert "Check your inbox" in page and "sam.reader@example.net" in page


def test_newsletter_confirm_link_shows_a_button_and_only_the_post_confirms(client):
    client.post(NEWSLETTER_URL, newsletter_data())
    path = confirm_path(OutboundEmail.objects.get(kind="newsletter_confirm"))
    response = client.get(path)  # what a mail scanner does
    assert response.status_code == 200
    assert "Confirm my sign-up" in html(response)
    assert NewsletterSubscriber.objects.get().status == SubscriberStatus.PENDING
    response = client.post(path)
    assert response.status_code == 302
    subscriber = NewsletterSubscriber.objects.get()
    assert subscriber.status == SubscriberStatus.CONFIRMED
    assert subscriber.confirmed_at is not None
    assert "You are subscribed" in html(client.get(path))


def test_signing_up_twice_changes_nothing(client):
    for _ in range(2):
        response = client.post(NEWSLETTER_URL, newsletter_data())
        assert response.status_code == 302
    assert NewsletterSubscriber.objects.count() == 1
    assert OutboundEmail.objects.filter(kind="newsletter_confirm").count() == 1
    # Once confirmed, signing up again still sends nothing and shows the same page.
    client.post(confirm_path(OutboundEmail.objects.get(kind="newsletter_confirm")))
    response = client.post(NEWSLETTER_URL, newsletter_data(email="SAM.reader@example.net"))
    assert response.status_code == 302
    assert NewsletterSubscriber.objects.get().status == SubscriberStatus.CONFIRMED
    assert OutboundEmail.objects.filter(kind="newsletter_confirm").count() == 1


def test_one_click_unsubscribe_works_without_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    subscriber = NewsletterSubscriber.objects.create(email="leaver@example.com", status=SubscriberStatus.CONFIRMED)
    path = links.unsubscribe_url(subscriber).removeprefix(django_settings.SITE_URL)
    page = html(client.get(path))
    assert "Unsubscribe from the newsletter" in page
    assert NewsletterSubscriber.objects.get().status == SubscriberStatus.CONFIRMED
    # RFC 8058: the mail client POSTs this body, with no cookie and no token.
    response = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "You are unsubscribed" in html(response)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert client.post(path).status_code == 200  # again: still fine


def test_other_forms_still_need_their_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.post(NEWSLETTER_URL, newsletter_data()).status_code == 403
    assert client.post(ENQUIRY_URL, enquiry_data()).status_code == 403


@pytest.mark.parametrize("kind", ["confirm", "unsubscribe"])
def test_bad_newsletter_tokens_get_a_friendly_404(client, kind):
    subscriber = NewsletterSubscriber.objects.create(email="someone@example.com")
    good = getattr(links, f"{kind}_url")(subscriber).rstrip("/").split("/")[-1]
    for token in ["nonsense", good[:-2] + "xx", signing.dumps(subscriber.pk, salt="another")]:
        for method in (client.get, client.post):
            response = method(f"/newsletter/{kind}/{token}/")
            assert response.status_code == 404
            assert "This link does not work" in html(response)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING


def test_expired_confirm_link_is_a_friendly_404(client):
    subscriber = NewsletterSubscriber.objects.create(email="late@example.com")
    token = signing.dumps(subscriber.pk, salt=links.CONFIRM_SALT)
    original = links.CONFIRM_MAX_AGE
    links.CONFIRM_MAX_AGE = -1
    try:
        assert client.get(f"/newsletter/confirm/{token}/").status_code == 404
    finally:
        links.CONFIRM_MAX_AGE = original


def test_footer_sign_up_carries_the_address_to_the_full_form_and_stores_nothing(client):
    response = client.post(NEWSLETTER_URL, {"from_footer": "1", "email": "footer@example.org"})
    assert response.status_code == 200
    page = html(response)
    assert 'value="footer@example.org"' in page
    assert "Almost done" in page
    assert "Please correct" not in page
    assert NewsletterSubscriber.objects.count() == 0


def test_check_your_inbox_page_needs_a_sign_up_first(client):
    response = client.get(reverse("enquiries:newsletter_sent"))
    assert response.status_code == 302 and response["Location"] == NEWSLETTER_URL


def test_newsletter_field_errors_create_nothing(client):
    response = client.post(NEWSLETTER_URL, newsletter_data(email="not-an-email", consent=None))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Enter a valid email address." in errors["email"]
    assert "consent" in errors
    assert NewsletterSubscriber.objects.count() == 0


# Links and pages --------------------------------------------------------------------------------


def test_header_and_footer_link_to_the_forms_and_policies(client):
    page = html(client.get("/"))
    for href in ['href="/enquire/"', 'href="/lets-talk/"', 'href="/privacy/"', 'href="/accessibility/"']:
        assert href in page, href
    assert re.search(r'<form method="post" action="/newsletter/"', page)
    assert ">Let&#x27;s talk</a>" in page or ">Let's talk</a>" in page


def test_course_and_sector_pages_link_to_prefilled_forms(client, course, sector):
    course_page = html(client.get(course.get_absolute_url()))
    assert f'href="/enquire/?course={course.slug}"' in course_page
    assert f'href="/lets-talk/?course={course.slug}"' in course_page
    assert "mailto:" not in course_page.split("<footer")[0]
    sector_page = html(client.get(sector.get_absolute_url()))
    assert f'href="/enquire/?sector={sector.slug}"' in sector_page


def test_privacy_notice_shows_its_version_and_retention(client, settings):
    settings.PRIVACY_NOTICE_VERSION = "2026-07"
    settings.LEAD_RETENTION_MONTHS = 24
    page = html(client.get("/privacy/"))
    assert "Version 2026-07" in page
    assert "24 months" in page
    assert page.count("<h1") == 1


def test_accessibility_statement(client):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert "WCAG" in html(response)
