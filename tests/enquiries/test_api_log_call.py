"""Contract tests for logging a call through the API: POST /api/v1/leads/{id}/calls/, with the
admin's "Log a call" rules (enquiries.services.lead_log_call), each answer's status and body,
and nothing recorded when a call is refused."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enquiries import services
from enquiries.models import Lead, LeadStatus

from .api_support import (
    BEARER_CHALLENGE,
    LEADS,
    errors_of,
    in_days,
    london_iso,
    make_callback,
    make_enquiry,
    make_sales_user,
    partner_client,
    post,
    token_client,
)

pytestmark = pytest.mark.django_db


def calls_url(lead):
    return f"{LEADS}{lead.pk}/calls/"


def log_call(client, lead, body, **extra):
    return post(client, calls_url(lead), body, **extra)


def state(lead):
    """What a refused call must leave as it was."""
    lead = Lead.objects.get(pk=lead.pk)
    return lead.status, lead.next_action, lead.due_at, lead.retry_at, lead.activities.count()


def timeline(body):
    return [(row["kind"], row["outcome"], row["text"]) for row in body["timeline"]]


@pytest.fixture
def sales():
    return make_sales_user("sam", first_name="Sam", last_name="Seller")


@pytest.fixture
def api(sales):
    return token_client(sales)


# What a call does --------------------------------------------------------------------------------


def test_a_call_that_reached_a_new_lead_makes_it_contacted_with_its_next_action(api, sales):
    lead = make_enquiry()
    due = in_days(1, hour=10, minute=30)

    response = log_call(
        api,
        lead,
        {"outcome": "spoke", "note": " Wants dates in March. ", "next_action": "Send dates", "due_at": due.isoformat()},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["reference"], body["status"]) == (lead.pk, lead.reference, "contacted")
    assert (body["next_action"], body["due_at"], body["overdue"]) == ("Send dates", london_iso(due), False)
    # Newest first: the call, then what it changed, each by the caller.
    when = timezone.localtime(due).strftime("%a %d %b %H:%M")
    assert timeline(body)[:3] == [
        ("note", "", f"Next action: Send dates ({when})."),
        ("status", "", "Status changed from New to Contacted."),
        ("call", "spoke", "Wants dates in March."),
    ]
    authors = {row["author"]["username"] for row in body["timeline"][:3]}
    assert body["timeline"][2]["author"] == {"id": sales.pk, "username": "sam", "name": "Sam Seller"}
    assert authors == {"sam"}
    assert api.get(f"{LEADS}{lead.pk}/").json() == body  # the answer is the lead as it now stands


def test_a_callback_not_answered_is_tried_again_at_the_time_given(api):
    lead = make_callback()
    retry = in_days(1, hour=9, minute=15)

    body = log_call(api, lead, {"outcome": "no_answer", "retry_at": retry.isoformat()}).json()

    assert body["status"] == "no_answer"
    assert (body["retry_at"], body["next_action"], body["due_at"]) == (
        london_iso(retry),
        "Try calling again",
        london_iso(retry),
    )
    assert ("call", "no_answer", "") in timeline(body)


def test_a_voicemail_to_a_qualified_lead_keeps_its_status(api, sales):
    lead = services.lead_change_status(lead=make_enquiry(), status=LeadStatus.QUALIFIED, actor=sales)
    retry = in_days(2, hour=14, minute=0)

    body = log_call(api, lead, {"outcome": "voicemail", "note": "Left a message", "retry_at": retry.isoformat()}).json()

    assert (body["status"], body["next_action"], body["due_at"]) == (
        "qualified",
        "Try calling again",
        london_iso(retry),
    )


def test_a_call_may_win_the_lead_which_ends_its_next_action(api):
    lead = make_callback()

    body = log_call(api, lead, {"outcome": "spoke", "note": "Booked by phone", "status": "won"}).json()

    assert (body["status"], body["next_action"], body["due_at"], body["overdue"]) == ("won", "", None, False)


def test_a_call_may_lose_the_lead_with_a_reason(api):
    lead = make_enquiry()

    body = log_call(api, lead, {"outcome": "spoke", "status": "lost", "lost_reason": "Chose another provider"}).json()

    assert (body["status"], body["lost_reason"], body["due_at"]) == ("lost", "Chose another provider", None)


def test_a_call_to_a_closed_lead_may_be_recorded_with_nothing_next(api, sales):
    lead = services.lead_change_status(lead=make_enquiry(), status=LeadStatus.WON, actor=sales)

    response = log_call(api, lead, {"outcome": "spoke", "note": "Courtesy call after the course."})

    assert response.status_code == 200
    assert response.json()["status"] == "won"
    assert timeline(response.json())[0] == ("call", "spoke", "Courtesy call after the course.")


def test_the_same_call_through_the_admin_and_the_api_leaves_the_same_lead(api, sales):
    """Same rules as the admin's "Log a call": the API and the form call one service."""
    through_api, through_admin = make_enquiry(), make_enquiry(email="other@example.org", organisation="Other")
    due = in_days(3, hour=11, minute=0)

    log_call(
        api, through_api, {"outcome": "spoke", "note": "Keen", "next_action": "Send quote", "due_at": due.isoformat()}
    )
    browser = Client()
    browser.force_login(sales)
    admin_url = reverse("admin:enquiries_lead_work", args=[through_admin.pk, "call"])
    response = browser.post(
        admin_url,
        {
            "call-outcome": "spoke",
            "call-text": "Keen",
            "call-next_action": "Send quote",
            "call-due_at": timezone.localtime(due).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302

    def outcome(lead):
        lead = Lead.objects.get(pk=lead.pk)
        entries = [(a.kind, a.outcome, a.text, a.author_id) for a in lead.activities.order_by("created_at", "pk")]
        return lead.status, lead.next_action, lead.due_at, entries

    assert outcome(through_api) == outcome(through_admin)


# Refused: field by field, nothing recorded ---------------------------------------------------------

PAST = (timezone.now() - timedelta(hours=1)).isoformat()
LATER = (timezone.now() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"outcome": ["This field is required."]}),
        ({"outcome": "shouted"}, {"outcome": ['"shouted" is not a valid choice.']}),
        (
            {"outcome": "spoke", "next_action": "Send dates", "due_at": LATER, "mood": "keen"},
            {"mood": ["This field is not recognised."]},
        ),
        (
            {"outcome": "spoke"},
            {
                "next_action": ["Say what happens next and when, or close the lead (won or lost)."],
                "due_at": ["Choose when the next action is due."],
            },
        ),
        (
            {"outcome": "no_answer"},
            {
                "next_action": ["Say when to try again, or what happens next and when, or close the lead."],
                "due_at": ["Choose when the next action is due."],
            },
        ),
        (
            {"outcome": "spoke", "next_action": "Send dates", "due_at": PAST},
            {"due_at": ["Choose a due time in the future."]},
        ),
        ({"outcome": "no_answer", "retry_at": PAST}, {"retry_at": ["Choose when to try again, in the future."]}),
        (
            {"outcome": "spoke", "retry_at": LATER},
            {"retry_at": ["Send retry_at only for a call that did not reach them (no_answer or voicemail)."]},
        ),
        (
            {"outcome": "no_answer", "retry_at": LATER, "next_action": "Email instead", "due_at": LATER},
            {"retry_at": ["Give retry_at, or next_action with due_at, not both."]},
        ),
        ({"outcome": "spoke", "status": "lost"}, {"lost_reason": ["Give a reason when marking a lead lost."]}),
        (
            {"outcome": "spoke", "status": "lost", "lost_reason": "  "},
            {"lost_reason": ["This field may not be blank."]},
        ),
        (
            {"outcome": "spoke", "status": "won", "lost_reason": "n/a"},
            {"lost_reason": ["Send lost_reason with status lost."]},
        ),
        (
            {"outcome": "spoke", "status": "won", "next_action": "Invoice", "due_at": LATER},
            {
                "next_action": ["Leave next_action out when the call closes the lead (won)."],
                "due_at": ["Leave due_at out when the call closes the lead (won)."],
            },
        ),
        (
            {"outcome": "spoke", "status": "new", "next_action": "x", "due_at": LATER},
            {"status": ['"new" is not a valid choice.']},
        ),
        ({"outcome": "spoke", "next_action": "  ", "due_at": LATER}, {"next_action": ["This field may not be blank."]}),
        (
            {"outcome": "spoke", "note": "x" * 5001, "status": "won"},
            {"note": ["Ensure this field has no more than 5000 characters."]},
        ),
    ],
)
def test_a_refused_call_names_each_field_and_records_nothing(api, body, errors):
    lead = make_enquiry()
    before = state(lead)

    assert errors_of(log_call(api, lead, body)) == errors
    assert state(lead) == before


@pytest.mark.parametrize("due_at", [1767225600, "next Tuesday", "9999-12-31T23:00:00-05:00"])
def test_a_time_that_is_not_one_is_refused_beside_its_field(api, due_at):
    lead = make_enquiry()
    before = state(lead)

    errors = errors_of(log_call(api, lead, {"outcome": "spoke", "next_action": "Send dates", "due_at": due_at}))

    assert list(errors) == ["due_at"]
    assert errors["due_at"][0].startswith(("Datetime has wrong format.", "Datetime value out of range."))
    assert state(lead) == before


def test_a_body_that_is_not_json_is_a_parse_error_without_field_errors(api):
    lead = make_enquiry()
    before = state(lead)

    response = api.post(calls_url(lead), '{"outcome": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "errors" not in response.json()
    form = api.post(calls_url(lead), {"outcome": "spoke"})  # a form post, not JSON
    assert form.status_code == 415
    assert form.json()["code"] == "unsupported_media_type"
    assert state(lead) == before


def test_an_unknown_lead_is_a_404_in_the_shared_format(api):
    for url in [f"{LEADS}999999/calls/", f"{LEADS}abc/calls/", f"{LEADS}1.5/calls/"]:
        response = post(api, url, {"outcome": "spoke", "status": "won"})
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
        assert set(response.json()) == {"code", "detail"}


def test_an_anonymised_lead_cannot_have_a_call_logged(api, sales):
    lead = services.lead_change_status(lead=make_enquiry(), status=LeadStatus.LOST, lost_reason="Gone", actor=sales)
    services.leads_anonymise_closed(now=timezone.now() + timedelta(days=3650))
    lead.refresh_from_db()
    assert lead.anonymised_at is not None
    before = state(lead)

    response = log_call(api, lead, {"outcome": "spoke", "note": "Called anyway"})

    assert response.status_code == 409
    assert response.json() == {
        "code": "lead_anonymised",
        "detail": "This lead was anonymised and can no longer be worked.",
    }
    assert state(lead) == before


def test_only_post_is_allowed(api):
    lead = make_enquiry()
    assert api.get(calls_url(lead)).status_code == 405
    assert api.delete(calls_url(lead)).status_code == 405


# Who may log a call --------------------------------------------------------------------------------

WON = {"outcome": "spoke", "status": "won"}


def test_anonymous_callers_get_401_with_the_apis_challenge(client):
    lead = make_enquiry()
    before = state(lead)

    response = log_call(client, lead, WON)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == BEARER_CHALLENGE
    assert response.json() == {"code": "not_authenticated", "detail": "Authentication credentials were not provided."}
    bad_token = Client(headers={"Authorization": "Token not-a-token"})
    assert log_call(bad_token, lead, WON).status_code == 401
    assert state(lead) == before


def test_staff_outside_sales_a_reader_and_a_partner_key_get_403(sales):
    lead = make_enquiry()
    before = state(lead)
    office = get_user_model().objects.create_user(username="office", is_staff=True)
    office.user_permissions.add(*Permission.objects.filter(codename__in=["view_lead", "change_lead"]))
    reader = make_sales_user("reader")
    Group.objects.get(name=services.SALES_GROUP).permissions.remove(Permission.objects.get(codename="change_lead"))
    partner, _ = partner_client()

    for caller in [token_client(office), token_client(reader), partner]:
        response = log_call(caller, lead, WON)
        assert response.status_code == 403
        assert response.json() == {"code": "permission_denied", "detail": "Only sales staff can see and work leads."}
    assert state(lead) == before


def test_a_signed_in_sales_person_needs_the_csrf_token(sales):
    lead = make_enquiry()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(sales)

    refused = log_call(browser, lead, WON)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW

    browser.cookies["csrftoken"] = secret = "b" * 32
    assert log_call(browser, lead, WON, headers={"X-CSRFToken": secret}).status_code == 200
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.WON
