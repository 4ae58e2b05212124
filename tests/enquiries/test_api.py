"""Contract tests for the leads API: enquiries, callbacks and newsletter sign-ups from anyone, and
the leads pipeline for sales staff, with every error's shape."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core import business_hours
from enquiries import services
from enquiries.models import Lead, LeadActivity, LeadStatus, NewsletterSubscriber, SubscriberStatus
from outbox.models import OutboundEmail
from tests.factories import CourseFactory, SectorFactory

pytestmark = pytest.mark.django_db

ENQUIRIES = "/api/v1/enquiries/"
CALLBACKS = "/api/v1/callbacks/"
SLOTS = "/api/v1/callbacks/slots/"
NEWSLETTER = "/api/v1/newsletter/"
LEADS = "/api/v1/leads/"
OFFSET = re.compile(r"[+-]\d\d:\d\d$")
LEAD_FIELDS = {
    "id", "reference", "type", "status", "lost_reason", "retry_at", "owner", "next_action", "due_at", "overdue",
    "estimated_value", "name", "job_title", "organisation", "organisation_type", "sector", "email", "phone",
    "courses", "staff_count", "preferred_town", "preferred_dates", "settings_worked_in", "lone_working",
    "restrictive_practices", "previous_training", "message", "heard_about", "topic", "callback_date",
    "callback_period", "source", "landing_page", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content", "duplicate_of", "duplicate_review", "bookings", "consent_at", "created_at",
}  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_rate_limit(settings):
    # The limit counts per client address in the cache; every test starts with a clean count.
    settings.LEADS_RATE_LIMIT_PER_HOUR = 100
    cache.clear()
    yield
    cache.clear()


def post(client, url, body, **extra):
    return client.post(url, body, content_type="application/json", **extra)


def patch(client, lead, body, **extra):
    return client.patch(f"{LEADS}{lead.pk}/", body, content_type="application/json", **extra)


def errors_of(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "The request has invalid fields."
    return body["errors"]


def enquiry(**overrides):
    return {
        "name": "Alex Morgan",
        "job_title": "Head of Safety",
        "organisation": "Riverside Housing",
        "email": "alex.morgan@example.org",
        "consent": True,
    } | overrides


def callback(**overrides):
    return {"name": "Jo Patel", "phone": "07911 123456", "consent": True} | overrides


def signup(**overrides):
    return {"email": "reader@example.org", "consent": True} | overrides


def london_iso(value):
    return timezone.localtime(value).isoformat()


def make_sales_user(username="sam", **fields):
    user = get_user_model().objects.create_user(
        username=username, password="a-long-test-password", email=f"{username}@example.com", is_staff=True, **fields
    )
    user.groups.add(Group.objects.get(name=services.SALES_GROUP))
    return user


def make_enquiry(now=None, **fields):
    data = {"name": "Alex Morgan", "organisation": "Riverside Housing", "email": "alex@example.org"} | fields
    return services.enquiry_submit(data=data, now=now)


def make_callback(now=None, **fields):
    data = {"name": "Jo Patel", "phone": "07911 123456"} | fields
    return services.callback_submit(data=data, now=now)


def token_client(user):
    return Client(headers={"Authorization": f"Token {Token.objects.create(user=user).key}"})


@pytest.fixture
def sales():
    return make_sales_user("sam", first_name="Sam", last_name="Seller")


@pytest.fixture
def api(sales):
    """A sales person's token client."""
    return token_client(sales)


# Enquiries ---------------------------------------------------------------------------------------


def test_an_enquiry_is_201_with_its_reference_and_status_and_keeps_every_field(client):
    course = CourseFactory(slug="de-escalation")
    other = CourseFactory(slug="lone-worker-safety")
    sector = SectorFactory(slug="local-authority-housing")
    body = enquiry(
        organisation_type="housing",
        sector="local-authority-housing",
        phone="01473 555 012",
        courses=["de-escalation", "lone-worker-safety"],
        staff_count=40,
        preferred_town="Ipswich",
        preferred_dates="A weekday in March",
        settings_worked_in=["community", "front_desk"],
        lone_working=True,
        restrictive_practices=False,
        previous_training="E-learning in 2024",
        message="Our housing officers face aggression on visits.",
        heard_about="search",
        landing_page="/sectors/local-authority-housing/",
        referrer="https://www.example.net/search?q=training",
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="spring",
        utm_term="de-escalation",
        utm_content="button",
    )

    response = post(client, ENQUIRIES, body)

    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert response.json() == {"reference": lead.reference, "status": "new"}
    assert lead.lead_type == "enquiry"
    assert lead.phone.as_e164 == "+441473555012"
    assert set(lead.courses.all()) == {course, other}
    assert lead.sector == sector
    assert lead.settings_worked_in == ["community", "front_desk"]
    assert (lead.staff_count, lead.lone_working, lead.heard_about) == (40, True, "search")
    assert (lead.landing_page, lead.utm_source, lead.utm_content) == (
        "/sectors/local-authority-housing/",
        "newsletter",
        "button",
    )
    assert lead.consent_at is not None
    assert lead.privacy_notice_version


def test_an_enquiry_needs_only_name_organisation_email_and_consent(client):
    response = post(client, ENQUIRIES, {k: v for k, v in enquiry().items() if k != "job_title"})

    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert (lead.phone, lead.sector, lead.staff_count, list(lead.courses.all())) == ("", None, None, [])


def test_an_enquiry_lists_each_missing_required_field(client):
    errors = errors_of(post(client, ENQUIRIES, {}))

    assert set(errors) == {"name", "organisation", "email", "consent"}
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "x" * 151}, "name"),
        ({"organisation": "x" * 201}, "organisation"),
        ({"message": "x" * 3001}, "message"),
        ({"preferred_dates": "x" * 201}, "preferred_dates"),
        ({"referrer": "x" * 501}, "referrer"),
        ({"utm_source": "x" * 101}, "utm_source"),
        ({"email": "not-an-email"}, "email"),
        ({"staff_count": 0}, "staff_count"),
        ({"staff_count": 10001}, "staff_count"),
        ({"organisation_type": "bank"}, "organisation_type"),
        ({"settings_worked_in": ["ward", "moon"]}, "settings_worked_in"),
        ({"settings_worked_in": "ward"}, "settings_worked_in"),
        ({"heard_about": "radio"}, "heard_about"),
        ({"courses": ["no-such-course"]}, "courses"),
        ({"sector": "no-such-sector"}, "sector"),
    ],
)
def test_each_invalid_enquiry_field_gets_its_own_message_and_nothing_is_created(client, overrides, field):
    errors = errors_of(post(client, ENQUIRIES, enquiry(**overrides)))

    assert set(errors) == {field}
    assert Lead.objects.count() == 0


def test_unpublished_courses_and_inactive_sectors_are_unknown(client):
    CourseFactory(slug="draft", is_published=False)
    SectorFactory(slug="retired", is_active=False)

    errors = errors_of(post(client, ENQUIRIES, enquiry(courses=["draft"], sector="retired")))

    assert set(errors) == {"courses", "sector"}


# Callbacks ---------------------------------------------------------------------------------------


def test_a_callback_for_a_chosen_slot_is_due_at_the_slot_end_in_uk_time_with_its_offset(client):
    # The last slot offered: still offered a moment later, whatever the time of day the test runs.
    value, _label = business_hours.callback_slots(timezone.now())[-1]
    day, period = business_hours.parse_slot(value)

    response = post(
        client,
        CALLBACKS,
        callback(
            organisation="Station Buses", topic="Conflict management", callback_date=str(day), callback_period=period
        ),
    )

    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    expected_due = business_hours.slot_bounds(day, period)[1]
    body = response.json()
    assert body == {"reference": lead.reference, "status": "new", "due_at": expected_due.isoformat()}
    assert OFFSET.search(body["due_at"])
    assert datetime.fromisoformat(body["due_at"]).utcoffset() == timezone.localtime(expected_due).utcoffset()
    assert (lead.lead_type, lead.callback_date, lead.callback_period) == ("callback", day, period)
    assert (lead.organisation, lead.topic, lead.phone.as_e164) == (
        "Station Buses",
        "Conflict management",
        "+447911123456",
    )


def test_a_callback_without_a_slot_is_as_soon_as_possible_within_the_sla(client):
    before = timezone.now()

    response = post(client, CALLBACKS, callback())

    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    due = datetime.fromisoformat(response.json()["due_at"])
    assert response.json()["due_at"] == london_iso(lead.due_at)
    assert OFFSET.search(response.json()["due_at"])
    assert business_hours.callback_due_at(before) <= due <= business_hours.callback_due_at(timezone.now())
    assert (lead.callback_date, lead.callback_period) == (None, "")


def test_the_offered_slots_are_listed(client):
    response = client.get(SLOTS)

    assert response.status_code == 200
    offered = business_hours.callback_slots(timezone.now())
    assert [f"{row['callback_date']}:{row['callback_period']}" for row in response.json()] == [v for v, _ in offered]
    assert [row["label"] for row in response.json()] == [label for _, label in offered]


def next_saturday():
    today = timezone.localdate()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


@pytest.mark.parametrize(
    ("slot", "field", "message"),
    [
        (lambda: {"callback_date": str(next_saturday()), "callback_period": "am"}, "callback_date", "not available"),
        (
            lambda: {"callback_date": str(timezone.localdate() + timedelta(days=60)), "callback_period": "pm"},
            "callback_date",
            "not available",
        ),
        (
            lambda: {"callback_date": str(timezone.localdate() - timedelta(days=1)), "callback_period": "pm"},
            "callback_date",
            "not available",
        ),
        (lambda: {"callback_date": str(timezone.localdate())}, "callback_period", "together"),
        (lambda: {"callback_period": "am"}, "callback_date", "together"),
        (lambda: {"callback_date": "next tuesday", "callback_period": "am"}, "callback_date", "Date has wrong format"),
        (
            lambda: {"callback_date": str(timezone.localdate()), "callback_period": "evening"},
            "callback_period",
            "not a valid choice",
        ),
    ],
)
def test_a_slot_that_is_not_offered_is_refused_and_nothing_is_created(client, slot, field, message):
    errors = errors_of(post(client, CALLBACKS, callback(**slot())))

    assert list(errors) == [field]
    assert message in errors[field][0]
    assert Lead.objects.count() == 0


def test_the_refusal_of_a_slot_lists_those_on_offer(client):
    errors = errors_of(post(client, CALLBACKS, callback(callback_date=str(next_saturday()), callback_period="am")))

    first, _label = business_hours.callback_slots(timezone.now())[0]
    assert first.replace(":", " ") in errors["callback_date"][0]


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("12345", "Enter a valid phone number."),
        ("+33 1 23 45 67 89", "Enter a UK phone number"),
        ("", "This field may not be blank."),
    ],
)
def test_a_callback_needs_a_valid_uk_phone_number(client, phone, message):
    errors = errors_of(post(client, CALLBACKS, callback(phone=phone)))

    assert list(errors) == ["phone"]
    assert errors["phone"][0].startswith(message)
    assert Lead.objects.count() == 0


def test_an_enquiry_phone_number_must_be_uk_too(client):
    errors = errors_of(post(client, ENQUIRIES, enquiry(phone="+1 202 555 0143")))

    assert errors["phone"][0].startswith("Enter a UK phone number")


# Rules every public endpoint shares --------------------------------------------------------------


PUBLIC = [(ENQUIRIES, enquiry), (CALLBACKS, callback), (NEWSLETTER, signup)]


@pytest.mark.parametrize(("url", "body"), PUBLIC)
@pytest.mark.parametrize("consent", [False, None, "missing"])
def test_consent_is_required(client, url, body, consent):
    data = body() if consent != "missing" else {k: v for k, v in body().items() if k != "consent"}
    if consent != "missing":
        data["consent"] = consent

    errors = errors_of(post(client, url, data))

    assert list(errors) == ["consent"]
    assert Lead.objects.count() == NewsletterSubscriber.objects.count() == 0


@pytest.mark.parametrize(("url", "body"), PUBLIC)
def test_unknown_fields_are_refused_and_listed(client, url, body):
    errors = errors_of(post(client, url, body(website="http://spam.example.com", Name="Typo")))

    assert errors == {"website": ["This field is not recognised."], "Name": ["This field is not recognised."]}
    assert Lead.objects.count() == NewsletterSubscriber.objects.count() == 0


@pytest.mark.parametrize(("url", "body"), PUBLIC)
def test_only_json_is_accepted(client, url, body):
    response = client.post(url, {"name": "Form post"})

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(("url", "body", "created"), [(ENQUIRIES, enquiry, 201), (CALLBACKS, callback, 201)])
def test_too_many_submissions_from_one_address_are_a_429_and_create_nothing(client, settings, url, body, created):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 2
    cache.clear()
    assert post(client, url, body()).status_code == created
    assert post(client, url, body(name="Second")).status_code == created

    response = post(client, url, body(name="Third"))

    assert response.status_code == 429
    assert response.json() == {
        "code": "rate_limited",
        "detail": "We have received several messages from you in the last hour. Please call us, or try again later.",
    }
    assert Lead.objects.count() == 2
    # Another address has its own count.
    assert post(client, url, body(name="Elsewhere"), REMOTE_ADDR="203.0.113.9").status_code == created


def test_enquiries_and_callbacks_share_one_count_and_invalid_requests_do_not_count(client, settings):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1
    cache.clear()
    for _ in range(3):
        assert post(client, ENQUIRIES, enquiry(consent=False)).status_code == 400

    assert post(client, ENQUIRIES, enquiry()).status_code == 201
    assert post(client, CALLBACKS, callback()).status_code == 429
    assert Lead.objects.count() == 1


def test_newsletter_sign_ups_are_rate_limited_too(client, settings):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1
    cache.clear()
    assert post(client, NEWSLETTER, signup()).status_code == 202

    response = post(client, NEWSLETTER, signup(email="other@example.org"))

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert NewsletterSubscriber.objects.count() == 1


# Newsletter -------------------------------------------------------------------------------------


def test_a_sign_up_is_202_pending_and_queues_one_confirmation_email(client):
    sector = SectorFactory(slug="nhs")

    response = post(client, NEWSLETTER, signup(name="Rita Reader", sector="nhs", utm_source="linkedin"))

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    assert "Check your inbox" in response.json()["detail"]
    subscriber = NewsletterSubscriber.objects.get()
    assert (subscriber.email, subscriber.name, subscriber.sector, subscriber.status) == (
        "reader@example.org",
        "Rita Reader",
        sector,
        SubscriberStatus.PENDING,
    )
    assert subscriber.utm_source == "linkedin"
    [email] = OutboundEmail.objects.filter(kind="newsletter_confirm")
    assert email.to == ["reader@example.org"]


def test_signing_up_twice_changes_nothing(client):
    first = post(client, NEWSLETTER, signup(name="Rita Reader"))
    second = post(client, NEWSLETTER, signup(email="Reader@Example.org", name="Someone Else"))

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    subscriber = NewsletterSubscriber.objects.get()
    assert subscriber.name == "Rita Reader"
    assert OutboundEmail.objects.filter(kind="newsletter_confirm").count() == 1


def test_the_answer_does_not_reveal_that_an_address_is_already_subscribed(client):
    pending = post(client, NEWSLETTER, signup(email="new@example.org"))
    subscriber = services.newsletter_subscribe(email="member@example.org").subscriber
    services.newsletter_confirm(subscriber=subscriber)
    emails_before = OutboundEmail.objects.count()

    confirmed = post(client, NEWSLETTER, signup(email="member@example.org"))

    assert confirmed.status_code == pending.status_code == 202
    assert confirmed.json() == pending.json()
    assert OutboundEmail.objects.count() == emails_before
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"email": "nope"}, "email"), ({"sector": "nowhere"}, "sector"), ({"name": "x" * 151}, "name")],
)
def test_an_invalid_sign_up_is_a_400_and_sends_nothing(client, overrides, field):
    errors = errors_of(post(client, NEWSLETTER, signup(**overrides)))

    assert list(errors) == [field]
    assert NewsletterSubscriber.objects.count() == OutboundEmail.objects.count() == 0


# Leads: who may see them --------------------------------------------------------------------------


def test_anonymous_callers_get_401_with_the_apis_bearer_challenge_and_no_data(client):
    lead = make_enquiry()
    before = (Lead.objects.get().status, LeadActivity.objects.count())

    for response in [
        client.get(LEADS),
        client.get(f"{LEADS}{lead.pk}/"),
        client.get(f"{LEADS}{lead.pk + 1000}/"),
        patch(client, lead, {"status": "contacted"}),
    ]:
        assert response.status_code == 401, response.content
        # The same challenge as every other endpoint of the API (partners.auth).
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response.json() == {
            "code": "not_authenticated",
            "detail": "Authentication credentials were not provided.",
        }
    assert (Lead.objects.get().status, LeadActivity.objects.count()) == before


def test_staff_outside_the_sales_group_get_403_and_no_data(client):
    lead = make_enquiry()
    # Even holding the model permissions: the Sales group is required.
    office = get_user_model().objects.create_user(username="office", password="a-long-test-password", is_staff=True)
    office.user_permissions.add(*Permission.objects.filter(codename__in=["view_lead", "change_lead"]))
    before = (Lead.objects.get().status, LeadActivity.objects.count())

    browser = Client()
    browser.force_login(office)
    for api in [token_client(office), browser]:
        for response in [api.get(LEADS), api.get(f"{LEADS}{lead.pk}/"), patch(api, lead, {"status": "contacted"})]:
            assert response.status_code == 403, response.content
            assert response.json() == {
                "code": "permission_denied",
                "detail": "Only sales staff can see and work leads.",
            }
    assert (Lead.objects.get().status, LeadActivity.objects.count()) == before


def test_a_sales_member_without_the_change_permission_can_read_but_not_change(api):
    lead = make_enquiry()
    Group.objects.get(name=services.SALES_GROUP).permissions.remove(Permission.objects.get(codename="change_lead"))

    assert api.get(f"{LEADS}{lead.pk}/").status_code == 200
    refused = patch(api, lead, {"status": "contacted"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert Lead.objects.get().status == LeadStatus.NEW


def test_a_token_works_until_it_is_deleted(sales):
    lead = make_enquiry()
    token = Token.objects.create(user=sales)
    api = Client(headers={"Authorization": f"Token {token.key}"})
    assert api.get(LEADS).status_code == 200
    assert patch(api, lead, {"note": "Called the office."}).status_code == 200

    token.delete()  # what revoking it in the admin does

    response = api.get(LEADS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"code": "authentication_failed", "detail": "Invalid token."}
    assert patch(api, lead, {"note": "Too late."}).status_code == 401
    assert LeadActivity.objects.filter(kind="note").count() == 1


def test_an_inactive_users_token_stops_working(sales):
    api = token_client(sales)
    sales.is_active = False
    sales.save()

    assert api.get(LEADS).status_code == 401


def test_a_sales_users_session_works_and_session_writes_need_the_csrf_token(sales):
    lead = make_enquiry()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(sales)

    assert browser.get(LEADS).status_code == 200
    assert browser.get(f"{LEADS}{lead.pk}/").status_code == 200
    refused = patch(browser, lead, {"status": "contacted"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["detail"]

    browser.cookies["csrftoken"] = secret = "a" * 32  # as a page of the site would have set it
    assert patch(browser, lead, {"status": "contacted"}, headers={"X-CSRFToken": secret}).status_code == 200
    assert Lead.objects.get().status == LeadStatus.CONTACTED


def test_a_superuser_may_work_leads_without_the_group():
    admin = get_user_model().objects.create_superuser(username="root", password="a-long-test-password")
    lead = make_enquiry()

    api = token_client(admin)
    assert api.get(LEADS).status_code == 200
    assert patch(api, lead, {"status": "contacted"}).status_code == 200


# Leads: list and detail ---------------------------------------------------------------------------


def test_the_list_is_paginated_newest_first_and_each_lead_has_every_field(api, sales):
    now = timezone.now()
    older = make_enquiry(now=now - timedelta(days=2))
    newer = make_callback(now=now - timedelta(hours=1))

    response = api.get(LEADS)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [row["reference"] for row in body["results"]] == [newer.reference, older.reference]
    assert all(set(row) == LEAD_FIELDS for row in body["results"])
    assert "timeline" not in body["results"][0]


def test_a_lead_in_detail(api, sales):
    course = CourseFactory(slug="de-escalation")
    first = make_enquiry(organisation="East Coast NHS Trust", email="ward@example.org")
    lead = services.enquiry_submit(
        data={
            "name": "Pat Ward",
            "job_title": "Ward manager",
            "organisation": "East Coast NHS Trust",
            "organisation_type": "nhs",
            "email": "pat@example.org",
            "phone": "01473 555 012",
            "staff_count": 12,
            "settings_worked_in": ["ward"],
            "message": "Night staff too.",
            "sector": SectorFactory(slug="health-social-care"),
        },
        courses=[course],
        tracking={"utm_source": "google", "landing_page": "/courses/de-escalation/"},
    )

    response = api.get(f"{LEADS}{lead.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == LEAD_FIELDS | {"timeline"}
    assert body["id"] == lead.pk
    assert body["type"] == "enquiry"
    assert body["status"] == "new"
    assert body["owner"] == {"id": sales.pk, "username": "sam", "name": "Sam Seller"}
    assert body["phone"] == "+441473555012"
    assert body["courses"] == ["de-escalation"]
    assert body["sector"] == "health-social-care"
    assert body["settings_worked_in"] == ["ward"]
    assert body["source"] == "google"
    assert body["landing_page"] == "/courses/de-escalation/"
    assert body["duplicate_of"] == first.reference
    assert body["duplicate_review"] is True
    assert body["due_at"] == london_iso(lead.due_at)
    assert OFFSET.search(body["due_at"]) and OFFSET.search(body["created_at"])
    assert body["overdue"] is False
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert set(kinds) == {"created", "owner", "duplicate"}
    assert set(body["timeline"][0]) == {"at", "kind", "outcome", "text", "author"}
    assert all(entry["author"] is None for entry in body["timeline"])  # the system made them


def test_an_unknown_lead_is_a_404_in_the_shared_format(api):
    response = api.get(f"{LEADS}999999/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No Lead matches the given query."}


@pytest.fixture
def pipeline(sales):
    """Leads of both types, owned by two people, one overdue and one unassigned."""
    other = make_sales_user("kim")
    now = timezone.now()
    mine = make_enquiry(now=now - timedelta(hours=3), organisation="Org A", email="a@example.org")
    theirs = make_callback(now=now - timedelta(hours=2), organisation="Org B", phone="07911 123457")
    overdue = make_callback(now=now - timedelta(days=10), organisation="Org C", phone="07911 123458")
    nobody = make_enquiry(now=now - timedelta(hours=1), organisation="Org D", email="d@example.org")
    services.lead_assign(lead=mine, owner=sales)
    services.lead_assign(lead=theirs, owner=other)
    services.lead_assign(lead=overdue, owner=other)
    services.lead_assign(lead=nobody, owner=None)
    services.lead_change_status(lead=theirs, status="contacted")
    for lead in (mine, theirs, nobody):
        services.lead_set_next_action(lead=lead, next_action="Call", due_at=now + timedelta(days=1))
    return {"mine": mine, "theirs": theirs, "overdue": overdue, "nobody": nobody, "kim": other}


def refs(response):
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_list_filters(api, sales, pipeline):
    ref = {name: lead.reference for name, lead in pipeline.items() if name != "kim"}
    kim = pipeline["kim"]

    assert refs(api.get(LEADS, {"status": "contacted"})) == {ref["theirs"]}
    assert refs(api.get(LEADS, {"status": "new"})) == {ref["mine"], ref["overdue"], ref["nobody"]}
    assert refs(api.get(LEADS, {"type": "callback"})) == {ref["theirs"], ref["overdue"]}
    assert refs(api.get(LEADS, {"type": "enquiry"})) == {ref["mine"], ref["nobody"]}
    assert refs(api.get(LEADS, {"owner": "me"})) == {ref["mine"]}
    assert refs(api.get(LEADS, {"owner": str(kim.pk)})) == {ref["theirs"], ref["overdue"]}
    assert refs(api.get(LEADS, {"owner": "kim"})) == {ref["theirs"], ref["overdue"]}
    assert refs(api.get(LEADS, {"owner": "none"})) == {ref["nobody"]}
    assert refs(api.get(LEADS, {"owner": "nobody-called-this"})) == set()
    assert refs(api.get(LEADS, {"overdue": "true"})) == {ref["overdue"]}
    assert refs(api.get(LEADS, {"overdue": "false"})) == {ref["mine"], ref["theirs"], ref["nobody"]}
    assert refs(api.get(LEADS, {"overdue": "true", "owner": "kim", "type": "callback"})) == {ref["overdue"]}
    [row] = api.get(LEADS, {"overdue": "true"}).json()["results"]
    assert row["overdue"] is True


def test_a_closed_lead_past_its_due_time_is_not_overdue(api, pipeline):
    services.lead_change_status(lead=pipeline["overdue"], status="won")

    assert refs(api.get(LEADS, {"overdue": "true"})) == set()


def test_bad_filter_values_are_a_400_naming_each_filter(api):
    errors = errors_of(api.get(LEADS, {"status": "pending", "type": "email", "overdue": "yes"}))

    assert set(errors) == {"status", "type", "overdue"}


# Leads: working them ----------------------------------------------------------------------------


def test_a_patch_changes_status_owner_next_action_and_adds_a_note_each_in_the_timeline(api, sales):
    kim = make_sales_user("kim")
    lead = make_enquiry()
    services.lead_assign(lead=lead, owner=kim)
    due = timezone.now() + timedelta(days=2)

    response = patch(
        api,
        lead,
        {
            "status": "qualified",
            "owner": sales.pk,
            "next_action": "Send the proposal",
            "due_at": due.isoformat(),
            "note": "Forty staff across two sites.",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "qualified"
    assert body["owner"]["username"] == "sam"
    assert body["next_action"] == "Send the proposal"
    assert datetime.fromisoformat(body["due_at"]) == due
    by_sam = [entry for entry in body["timeline"] if entry["author"] and entry["author"]["username"] == "sam"]
    texts = [entry["text"] for entry in by_sam]
    assert {entry["kind"] for entry in by_sam} == {"owner", "status", "note"}
    assert "Owner changed from kim to sam." in texts
    assert "Status changed from New to Qualified." in texts
    assert "Forty staff across two sites." in texts
    assert any(text.startswith("Next action: Send the proposal") for text in texts)
    lead.refresh_from_db()
    assert (lead.status, lead.owner, lead.next_action) == ("qualified", sales, "Send the proposal")


def test_marking_a_lead_lost_needs_a_reason_and_a_refused_patch_changes_nothing(api, sales):
    kim = make_sales_user("kim")
    lead = make_enquiry()
    services.lead_assign(lead=lead, owner=sales)
    before = (LeadActivity.objects.count(), Lead.objects.filter(pk=lead.pk).values().get())

    response = patch(api, lead, {"owner": kim.pk, "status": "lost", "note": "Budget gone."})

    assert errors_of(response) == {"lost_reason": ["Give a reason when marking a lead lost."]}
    assert (LeadActivity.objects.count(), Lead.objects.filter(pk=lead.pk).values().get()) == before

    response = patch(api, lead, {"status": "lost", "lost_reason": "Chose another provider"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["lost_reason"]) == ("lost", "Chose another provider")


def test_no_answer_on_a_callback_sets_when_to_try_again(api):
    lead = make_callback()
    retry = timezone.now() + timedelta(days=1)

    response = patch(api, lead, {"status": "no_answer", "retry_at": retry.isoformat()})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "no_answer"
    assert datetime.fromisoformat(body["retry_at"]) == datetime.fromisoformat(body["due_at"])
    assert body["next_action"] == "Try calling again"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "no_answer", "retry_at": "2020-01-01T10:00:00Z"}, "retry_at"),
        ({"status": "no_answer"}, "retry_at"),
        ({"status": "archived"}, "status"),
        ({"lost_reason": "No budget"}, "lost_reason"),
        ({"retry_at": "2030-01-01T10:00:00Z"}, "retry_at"),
        ({"owner": 999999}, "owner"),
        ({"note": ""}, "note"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"next_action": "x" * 201}, "next_action"),
        ({"reference": "HACKED"}, "reference"),
    ],
)
def test_invalid_changes_are_a_400_beside_the_field_and_change_nothing(api, body, field):
    lead = make_callback()
    before = (LeadActivity.objects.count(), Lead.objects.filter(pk=lead.pk).values().get())

    errors = errors_of(patch(api, lead, body))

    assert list(errors) == [field]
    assert (LeadActivity.objects.count(), Lead.objects.filter(pk=lead.pk).values().get()) == before


def test_a_lead_can_be_given_only_to_sales_staff_or_to_nobody(api, sales):
    lead = make_enquiry()
    outsider = get_user_model().objects.create_user(username="office", is_staff=True)

    assert errors_of(patch(api, lead, {"owner": outsider.pk})) == {
        "owner": ["Leads can only be assigned to active sales staff."]
    }
    response = patch(api, lead, {"owner": None})
    assert response.status_code == 200
    assert response.json()["owner"] is None


def test_an_anonymised_lead_cannot_be_worked(api, sales):
    lead = make_enquiry()
    services.lead_change_status(lead=lead, status="lost", lost_reason="No budget")
    Lead.objects.filter(pk=lead.pk).update(closed_at=timezone.now() - timedelta(days=3650))
    services.leads_anonymise_closed()

    response = patch(api, lead, {"status": "new"})

    assert response.status_code == 409
    assert response.json() == {
        "code": "lead_anonymised",
        "detail": "This lead was anonymised and can no longer be worked.",
    }
    assert Lead.objects.get(pk=lead.pk).status == "lost"


def test_put_and_delete_are_not_allowed(api):
    lead = make_enquiry()

    assert api.put(f"{LEADS}{lead.pk}/", {}, content_type="application/json").status_code == 405
    assert api.delete(f"{LEADS}{lead.pk}/").status_code == 405
    assert api.post(LEADS, {}, content_type="application/json").status_code == 405
    assert Lead.objects.count() == 1


# Schema ------------------------------------------------------------------------------------------


def test_the_schema_documents_the_leads_api():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]

    created = {"201", "400", "401", "409", "415", "422", "429"}
    assert set(paths[ENQUIRIES]["post"]["responses"]) == created
    assert set(paths[CALLBACKS]["post"]["responses"]) == created
    assert set(paths[NEWSLETTER]["post"]["responses"]) == {"202", "400", "401", "415", "429"}
    assert set(paths[LEADS]["get"]["responses"]) == {"200", "400", "401", "403", "404"}
    assert set(paths[LEADS + "{id}/"]["get"]["responses"]) == {"200", "401", "403", "404"}
    assert set(paths[LEADS + "{id}/"]["patch"]["responses"]) == {"200", "400", "401", "403", "404", "409", "415"}
    assert {p["name"] for p in paths[LEADS]["get"]["parameters"]} >= {"status", "type", "owner", "overdue", "search"}
    assert paths[LEADS]["get"]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    components = schema["components"]["schemas"]
    assert set(components["Lead"]["properties"]) == LEAD_FIELDS
    assert set(components["LeadDetail"]["properties"]) == LEAD_FIELDS | {"timeline"}
    shapes = ["LeadChangeRequest", "LeadLostRequest", "LeadNoAnswerRequest"]
    for name in [
        "EnquiryCreateRequest",
        "CallbackCreateRequest",
        "NewsletterSignupRequest",
        *shapes,
        "Lead",
        "LeadActivity",
    ]:
        undocumented = [field for field, spec in components[name]["properties"].items() if not spec.get("description")]
        assert undocumented == [], name
