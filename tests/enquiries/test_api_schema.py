"""The leads endpoints' OpenAPI schema says exactly what the server does: every answer an
operation can give, the constraints of what it takes (required text not blank, consent true,
patterns, lengths, no unknown fields, the shapes a call or a PATCH may take), who may call it,
the Idempotency-Key; and every answer the server really gives validates against it."""

from datetime import timedelta

import jsonschema_rs
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from enquiries import services
from enquiries.models import LeadStatus

from .api_support import (
    CALLBACKS,
    ENQUIRIES,
    LEADS,
    make_enquiry,
    make_sales_user,
    partner_client,
    post,
    token_client,
)

NEWSLETTER = "/api/v1/newsletter/"
SLOTS = "/api/v1/callbacks/slots/"
LEAD = LEADS + "{id}/"
CALLS = LEADS + "{id}/calls/"
# Every character Python's strip() removes, named (ECMA's \s lacks U+0085), as drf-spectacular writes it.
VISIBLE = r"[^\t-\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def component(schema, ref_or_name):
    return schema["components"]["schemas"][ref_or_name.rsplit("/", 1)[-1]]


def request_schema(schema, path, method):
    return schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def shapes(schema, path, method):
    """The request body's component(s): the shapes of a oneOf, else the one object."""
    body = component(schema, request_schema(schema, path, method)["$ref"])
    return [component(schema, shape["$ref"]) for shape in body["oneOf"]] if "oneOf" in body else [body]


def test_every_answer_of_each_operation_is_documented(schema):
    paths = schema["paths"]
    created = {"201", "400", "401", "409", "415", "422", "429"}
    assert set(paths[ENQUIRIES]["post"]["responses"]) == created
    assert set(paths[CALLBACKS]["post"]["responses"]) == created
    assert set(paths[NEWSLETTER]["post"]["responses"]) == {"202", "400", "401", "415", "429"}
    assert set(paths[SLOTS]["get"]["responses"]) == {"200", "400", "401"}
    assert set(paths[LEADS]["get"]["responses"]) == {"200", "400", "401", "403", "404"}
    assert set(paths[LEAD]["get"]["responses"]) == {"200", "401", "403", "404"}
    worked = {"200", "400", "401", "403", "404", "409", "415"}
    assert set(paths[LEAD]["patch"]["responses"]) == worked
    assert set(paths[CALLS]["post"]["responses"]) == worked


def test_a_400_for_a_body_documents_the_parse_error_without_errors(schema):
    for path, method in [
        (ENQUIRIES, "post"),
        (CALLBACKS, "post"),
        (NEWSLETTER, "post"),
        (LEAD, "patch"),
        (CALLS, "post"),
    ]:
        body = schema["paths"][path][method]["responses"]["400"]["content"]["application/json"]["schema"]
        error = component(schema, body["$ref"])
        assert set(error["required"]) == {"code", "detail"}, path  # errors: absent with parse_error
        codes = component(schema, error["properties"]["code"]["$ref"])["enum"]
        assert set(codes) == {"invalid", "parse_error"}


def test_public_operations_need_no_credentials_and_staff_ones_a_token_or_session(schema):
    paths = schema["paths"]
    for path, method in [(ENQUIRIES, "post"), (CALLBACKS, "post"), (NEWSLETTER, "post"), (SLOTS, "get")]:
        assert paths[path][method]["security"] == [{"partnerKey": []}, {}], path
    for path, method in [(LEADS, "get"), (LEAD, "get"), (LEAD, "patch"), (CALLS, "post")]:
        assert paths[path][method]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}], path


def test_every_request_body_refuses_unknown_fields(schema):
    for path, method in [
        (ENQUIRIES, "post"),
        (CALLBACKS, "post"),
        (NEWSLETTER, "post"),
        (LEAD, "patch"),
        (CALLS, "post"),
    ]:
        for shape in shapes(schema, path, method):
            assert shape["additionalProperties"] is False, path


def test_required_text_is_not_blank_and_consent_must_be_true(schema):
    enquiry = component(schema, "EnquiryCreateRequest")["properties"]
    callback = component(schema, "CallbackCreateRequest")["properties"]
    for prop in [enquiry["name"], enquiry["organisation"], callback["name"]]:
        assert (prop["minLength"], prop["pattern"]) == (1, VISIBLE)
    assert (enquiry["name"]["maxLength"], enquiry["organisation"]["maxLength"]) == (150, 200)
    for name in ["EnquiryCreateRequest", "CallbackCreateRequest", "NewsletterSignupRequest"]:
        consent = component(schema, name)["properties"]["consent"]
        assert component(schema, consent["allOf"][0]["$ref"]) == {"type": "boolean", "enum": [True]}
        assert "consent" in component(schema, name)["required"]


def test_phones_slugs_and_lists_say_what_is_accepted(schema):
    callback = component(schema, "CallbackCreateRequest")["properties"]
    enquiry = component(schema, "EnquiryCreateRequest")["properties"]
    assert (callback["phone"]["format"], callback["phone"]["maxLength"]) == ("uk-phone", 40)
    assert {"type": "string", "maxLength": 0} in enquiry["phone"]["oneOf"]  # optional: empty for none
    assert enquiry["courses"]["maxItems"] == 20
    assert enquiry["courses"]["items"]["pattern"] == "^[-a-zA-Z0-9_]+$"
    assert enquiry["sector"]["pattern"] == "^[-a-zA-Z0-9_]*$" and enquiry["sector"]["nullable"] is True


def test_a_call_takes_one_of_the_shapes_the_rules_allow(schema):
    by_name = {
        name: component(schema, name)
        for name in [
            "LeadCallNextActionRequest",
            "LeadCallTryAgainRequest",
            "LeadCallWonRequest",
            "LeadCallLostRequest",
            "LeadCallRecordedRequest",
        ]
    }
    assert shapes(schema, CALLS, "post") == list(by_name.values())
    assert component(schema, request_schema(schema, CALLS, "post")["$ref"])["required"] == ["outcome"]
    assert schema["paths"][CALLS]["post"]["requestBody"]["required"] is True
    required = {name: set(shape["required"]) for name, shape in by_name.items()}
    assert required == {
        "LeadCallNextActionRequest": {"outcome", "next_action", "due_at"},
        "LeadCallTryAgainRequest": {"outcome", "retry_at"},
        "LeadCallWonRequest": {"outcome", "status"},
        "LeadCallLostRequest": {"outcome", "status", "lost_reason"},
        "LeadCallRecordedRequest": {"outcome"},
    }

    def enum(shape, prop):
        return component(schema, by_name[shape]["properties"][prop]["allOf"][0]["$ref"])["enum"]

    assert enum("LeadCallTryAgainRequest", "outcome") == ["no_answer", "voicemail"]
    assert enum("LeadCallNextActionRequest", "status") == ["contacted", "qualified", "proposal_sent"]
    assert (enum("LeadCallWonRequest", "status"), enum("LeadCallLostRequest", "status")) == (["won"], ["lost"])
    assert by_name["LeadCallLostRequest"]["properties"]["lost_reason"]["pattern"] == VISIBLE


def test_a_patch_takes_one_of_the_shapes_the_rules_allow(schema):
    change, lost, no_answer = shapes(schema, LEAD, "patch")
    assert "required" not in change and {"lost_reason", "retry_at"}.isdisjoint(change["properties"])
    assert set(lost["required"]) == {"status", "lost_reason"}
    assert set(no_answer["required"]) == {"status", "retry_at"}
    statuses = component(schema, change["properties"]["status"]["allOf"][0]["$ref"])["enum"]
    assert set(statuses) == set(LeadStatus.values) - {"lost", "no_answer"}


def test_idempotency_key_rate_limit_and_list_parameters(schema):
    for path in [ENQUIRIES, CALLBACKS]:
        operation = schema["paths"][path]["post"]
        (key,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert (key["in"], key["schema"]["pattern"]) == ("header", "^[\\x21-\\x7e]{1,255}$")
        assert operation["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    params = {p["name"]: p for p in schema["paths"][LEADS]["get"]["parameters"]}
    assert set(params) == {"search", "status", "type", "owner", "overdue", "page", "page_size"}
    assert params["search"]["schema"] == {"type": "string", "minLength": 1, "maxLength": 100, "pattern": VISIBLE}
    assert params["owner"]["schema"]["minLength"] == 1
    (lead_id,) = schema["paths"][CALLS]["post"]["parameters"]
    assert lead_id["schema"] == {"type": "integer", "minimum": 1}


def test_answers_mark_every_field_always_present_as_required(schema):
    for name in ["LeadCreated", "CallbackCreated", "NewsletterAccepted", "CallbackSlot", "Lead", "LeadDetail",
                 "LeadActivity", "UserSummary", "LeadConflict", "RateLimited"]:  # fmt: skip
        assert set(component(schema, name)["required"]) == set(component(schema, name)["properties"]), name


# Real answers against the schema ---------------------------------------------------------------


def to_json_schema(node):
    """OpenAPI 3.0 as JSON Schema for jsonschema_rs: nullable as a null type, components as $defs."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: to_json_schema(value) for key, value in node.items()}
    if "$ref" in node:
        node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def check(schema):
    defs = to_json_schema(schema["components"]["schemas"])

    def check(response, path, method):
        documented = schema["paths"][path][method]["responses"]
        assert str(response.status_code) in documented, (path, method, response.status_code)
        body = documented[str(response.status_code)]["content"]["application/json"]["schema"]
        validator = jsonschema_rs.validator_for({**to_json_schema(body), "$defs": defs}, validate_formats=True)
        errors = [error.message for error in validator.iter_errors(response.json())]
        assert errors == [], (path, method, response.status_code, errors)
        return response

    return check


@pytest.mark.django_db
def test_every_answer_the_server_gives_validates_against_the_schema(check, settings):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 100
    cache.clear()
    anonymous, sales = Client(), make_sales_user("sam", first_name="Sam")
    api = token_client(sales)
    later = (timezone.now() + timedelta(days=1)).isoformat()

    check(
        post(anonymous, ENQUIRIES, {"name": "Al", "organisation": "Trust", "email": "al@example.org", "consent": True}),
        ENQUIRIES,
        "post",
    )
    check(post(anonymous, CALLBACKS, {"name": "Jo", "phone": "07911 123456", "consent": True}), CALLBACKS, "post")
    check(post(anonymous, NEWSLETTER, {"email": "r@example.org", "consent": True}), NEWSLETTER, "post")
    check(anonymous.get(SLOTS), SLOTS, "get")
    check(anonymous.get(SLOTS, {"day": "monday"}), SLOTS, "get")
    check(post(anonymous, ENQUIRIES, {"name": " ", "consent": False}), ENQUIRIES, "post")
    check(anonymous.post(ENQUIRIES, "{", content_type="application/json"), ENQUIRIES, "post")
    check(anonymous.post(ENQUIRIES, {"name": "form"}), ENQUIRIES, "post")  # 415
    check(post(Client(headers={"Authorization": "Bearer nope"}), CALLBACKS, {}), CALLBACKS, "post")  # 401
    keyed = {"name": "Al", "organisation": "Trust", "email": "al@example.org", "consent": True}
    check(post(anonymous, ENQUIRIES, keyed, headers={"Idempotency-Key": "k1"}), ENQUIRIES, "post")
    check(
        post(anonymous, ENQUIRIES, keyed | {"name": "B"}, headers={"Idempotency-Key": "k1"}), ENQUIRIES, "post"
    )  # 422
    settings.LEADS_RATE_LIMIT_PER_HOUR = 0
    check(
        post(anonymous, CALLBACKS, {"name": "Jo", "phone": "07911 123456", "consent": True}), CALLBACKS, "post"
    )  # 429

    lead = make_enquiry()
    closed = services.lead_change_status(lead=make_enquiry(email="c@example.org", organisation="C"), status="won")
    partner, _ = partner_client()
    check(api.get(LEADS), LEADS, "get")
    check(api.get(LEADS, {"search": "alex", "status": "new"}), LEADS, "get")
    check(api.get(LEADS, {"nonsense": "1"}), LEADS, "get")
    check(api.get(LEADS, {"page": "99"}), LEADS, "get")
    check(anonymous.get(LEADS), LEADS, "get")
    check(partner.get(LEADS), LEADS, "get")  # 403
    check(api.get(f"{LEADS}{lead.pk}/"), LEAD, "get")
    check(api.get(f"{LEADS}999999/"), LEAD, "get")
    check(
        post(api, f"{LEADS}{lead.pk}/calls/", {"outcome": "spoke", "next_action": "Quote", "due_at": later}),
        CALLS,
        "post",
    )
    check(post(api, f"{LEADS}{closed.pk}/calls/", {"outcome": "spoke"}), CALLS, "post")
    check(post(api, f"{LEADS}{lead.pk}/calls/", {"outcome": "spoke"}), CALLS, "post")  # 400
    check(
        api.patch(f"{LEADS}{lead.pk}/", {"status": "lost", "lost_reason": "Budget"}, content_type="application/json"),
        LEAD,
        "patch",
    )
    check(api.patch(f"{LEADS}{lead.pk}/", {"status": "lost"}, content_type="application/json"), LEAD, "patch")


# What the schema refuses, the server refuses ------------------------------------------------------

ENQUIRY = {"name": "Al", "organisation": "Trust", "email": "al@example.org", "consent": True}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        # maxLength counts what is sent, though DRF trims whitespace before it checks lengths.
        (ENQUIRIES, ENQUIRY | {"utm_medium": "\x1e" + "*" * 100}, "utm_medium"),
        (ENQUIRIES, ENQUIRY | {"name": " " + "a" * 150}, "name"),
        (CALLBACKS, {"name": "Jo", "phone": "0113 496 0000" + "*" * 28, "consent": True}, "phone"),
        # Not trimmed where the schema has a format or pattern: " al@example.org" is not an email address.
        (ENQUIRIES, ENQUIRY | {"email": " al@example.org"}, "email"),
        (ENQUIRIES, ENQUIRY | {"courses": [" de-escalation"]}, "courses"),
        # Only separators is blank, as Python's strip() and the schema's pattern both say.
        (ENQUIRIES, ENQUIRY | {"organisation": "\x1c\x1f"}, "organisation"),
        (CALLBACKS, {"name": "\x85", "phone": "0113 496 0000", "consent": True}, "name"),  # NEL: schemathesis
        (ENQUIRIES, ENQUIRY | {"consent": "true"}, "consent"),
    ],
)
def test_the_server_refuses_what_the_schema_refuses(client, settings, url, body, field):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 100
    cache.clear()
    response = post(client, url, body)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
