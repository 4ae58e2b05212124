"""Schemathesis hooks for the leads endpoints: what their schema cannot say (loaded through
SCHEMATHESIS_HOOKS, alone or from tests/api/schemathesis_hooks.py; not by pytest).

Only requests generated as valid are changed, each to the nearest request that is valid for
the data and the clock too; an invalid one is sent as generated.

- format "uk-phone": drawn from valid UK numbers (as the booking hooks do).
- Idempotency-Key: a new one for each request (the same key with another body is a 422).
- Enquiries and sign-ups: a sector or course must exist and be published: taken from
  SCHEMATHESIS_SECTOR_SLUGS and SCHEMATHESIS_COURSE_SLUGS (comma-separated), else none.
- Callbacks: a slot must be one on offer now, which changes by the hour: left out (as soon as
  possible).
- A lead's id: one of SCHEMATHESIS_LEAD_IDS (comma-separated), else as generated (mostly a 404).
- Working a lead (PATCH) and logging a call: times must be in the future; an owner must be an
  active sales person (SCHEMATHESIS_SALES_USER_ID, else nobody); and a call on an open lead needs a
  next step (a call with none is sent as won: only a closed lead may record just the call).
"""

import os
import random
import uuid
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

UK_PHONE_NUMBERS = ["01473 555 012", "07911 123456", "+44 20 7946 0000", "0113 496 0000", "+447911123456"]
schemathesis.openapi.format("uk-phone", st.sampled_from(UK_PHONE_NUMBERS))


def _slugs(name):
    return [slug for slug in os.environ.get(name, "").split(",") if slug]


SECTORS = _slugs("SCHEMATHESIS_SECTOR_SLUGS")
COURSES = _slugs("SCHEMATHESIS_COURSE_SLUGS")
LEADS = [int(pk) for pk in _slugs("SCHEMATHESIS_LEAD_IDS")]
SALES_USER = int(os.environ["SCHEMATHESIS_SALES_USER_ID"]) if os.environ.get("SCHEMATHESIS_SALES_USER_ID") else None
NEXT_STEP = {"next_action", "retry_at", "status"}


def _valid(case, location):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return False
    component = meta.components.get(location)
    return component is None or component.mode.is_positive


def _future(value):
    """A time tomorrow, in the value's own form (with an offset)."""
    if not isinstance(value, str):
        return value
    return (datetime.now(UTC) + timedelta(days=1, minutes=random.randrange(600))).isoformat()  # noqa: S311


@schemathesis.hook
def map_case(context, case):
    path, method = case.operation.path, case.method.upper()
    headers = case.headers if isinstance(case.headers, MutableMapping) else None
    if headers and isinstance(headers.get("Idempotency-Key"), str) and _valid(case, ParameterLocation.HEADER):
        # A new key for each submission, as the schema asks; a key used again with another body is a 422.
        headers["Idempotency-Key"] = str(uuid.uuid4())
    if LEADS and path.startswith("/api/v1/leads/{id}/") and _valid(case, ParameterLocation.PATH):
        case.path_parameters["id"] = random.choice(LEADS)  # noqa: S311
    body = case.body if isinstance(case.body, dict) else None
    if body is None or not _valid(case, ParameterLocation.BODY):
        return case
    if method == "POST" and path in ("/api/v1/enquiries/", "/api/v1/newsletter/"):
        if isinstance(body.get("sector"), str):
            body["sector"] = random.choice(SECTORS) if SECTORS else None  # noqa: S311
        if isinstance(body.get("courses"), list):
            body["courses"] = random.sample(COURSES, min(len(body["courses"]), len(COURSES)))
    elif method == "POST" and path == "/api/v1/callbacks/":
        body.pop("callback_date", None)
        body.pop("callback_period", None)
    elif path == "/api/v1/leads/{id}/" and method == "PATCH":
        for name in ("retry_at", "due_at"):
            if name in body:
                body[name] = _future(body[name])
        if "owner" in body:
            body["owner"] = SALES_USER
    elif path == "/api/v1/leads/{id}/calls/" and method == "POST":
        for name in ("retry_at", "due_at"):
            if name in body:
                body[name] = _future(body[name])
        if not NEXT_STEP & set(body):
            body["status"] = "won"
    return case
