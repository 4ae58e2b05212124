"""Schemathesis hooks for the CI run (tests/api/schemathesis_ci.py): what the schema cannot say.

Loaded by schemathesis through SCHEMATHESIS_HOOKS, not by pytest. Each hook covers one rule that
depends on the data or on two fields at once, which a JSON Schema cannot state; every other
constraint is in the schema itself and generated from it unaided.

- format "uk-phone": a UK phone number, as validated by libphonenumber; drawn from valid ones.
- POST /api/v1/bookings/: a well-formed request names a session that exists and takes bookings
  (SCHEMATHESIS_SESSION_IDS), and delegates whose emails are not already booked on it nor given
  twice (a data rule: 400 naming the delegate otherwise).
- Idempotency-Key: the same key with another body is a 422 by design; a well-formed key is made
  unique to its request (the replay itself is tested in tests/booking/test_api.py).
- Adding or substituting delegates: the same rule about emails.
- PUT /api/v1/sessions/{id}/trainer/: whether a trainer may take a session depends on their
  courses and diary; a well-formed request takes the trainer off (null), which is always allowed.
- GET /api/v1/sessions/: `to` on or after `from` (both dates; a 400 otherwise).

Only requests generated as valid are changed: an invalid one is sent as generated. The changes
are made as each request is sent (before_call), to a copy of its body: generated requests share
parts of their bodies, and a request may be sent more than once, so unique values are made then.
"""

import copy
import importlib.util
import itertools
import os
import random
from pathlib import Path

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

UK_PHONE_NUMBERS = [
    "01473 555 012",
    "01473555012",
    "+44 1473 555012",
    "07911 123456",
    "+447911123456",
    "020 7946 0000",
    "+44 20 7946 0000",
    "0113 496 0000",
    "0808 157 0000",
]
schemathesis.openapi.format("uk-phone", st.sampled_from(UK_PHONE_NUMBERS))


# A webhook receiver: https to a public name (never called: the fuzzed server sends no webhooks).
def _receiver_url(n):
    return f"https://hooks{n}.example.com/events"


schemathesis.openapi.format("https-url", st.integers(min_value=0, max_value=10**6).map(_receiver_url))

SESSION_IDS = [int(pk) for pk in os.environ.get("SCHEMATHESIS_SESSION_IDS", "").split(",") if pk]
_unique = itertools.count()
_run = f"{random.randrange(16**6):06x}"  # noqa: S311 (not a secret: keeps two runs' emails apart)


def _valid(case, location, *, whole_case=True):
    """Whether `location` (and, with whole_case, the whole request) was generated as valid."""
    meta = case.meta
    if meta is None or (whole_case and not meta.generation.mode.is_positive):
        return False
    component = meta.components.get(location)
    return component is None or component.mode.is_positive


def _unique_emails(delegates):
    for delegate in delegates:
        if isinstance(delegate, dict) and isinstance(delegate.get("email"), str):
            delegate["email"] = f"st-{_run}-{next(_unique)}@example.org"


def _fill_body(path, method, body):
    if method == "POST" and path == "/api/v1/bookings/":
        if SESSION_IDS and isinstance(body.get("session"), int):
            body["session"] = random.choice(SESSION_IDS)  # noqa: S311
        if isinstance(body.get("delegates"), list):
            _unique_emails(body["delegates"])
    elif method == "POST" and path == "/api/v1/bookings/{reference}/delegates/":
        if isinstance(body.get("delegates"), list):
            _unique_emails(body["delegates"])
    elif method == "POST" and path.endswith("/substitute/"):
        _unique_emails([body])
    elif method == "PUT" and path.endswith("/trainer/") and isinstance(body.get("trainer"), int):
        body["trainer"] = None


@schemathesis.hook
def before_call(context, case, kwargs):
    path, method = case.operation.path, case.method.upper()
    if isinstance(case.body, dict) and _valid(case, ParameterLocation.BODY):
        body = copy.deepcopy(case.body)
        _fill_body(path, method, body)
        case.body = body
    # A unique key is as valid as the one generated, whatever the rest of the request.
    key = case.headers.get("Idempotency-Key") if case.headers is not None else None
    if isinstance(key, str) and _valid(case, ParameterLocation.HEADER, whole_case=False):
        case.headers["Idempotency-Key"] = f"{key[:240]}-{_run}{next(_unique)}"
    if path == "/api/v1/sessions/" and isinstance(case.query, dict) and _valid(case, ParameterLocation.QUERY):
        start, end = case.query.get("from"), case.query.get("to")
        if isinstance(start, str) and isinstance(end, str) and end < start:
            case.query = {**case.query, "from": end, "to": start}


# The leads endpoints' own hooks (tests/enquiries/schemathesis_hooks.py), loaded with these:
# SCHEMATHESIS_HOOKS names one file.
_LEADS_HOOKS = Path(__file__).resolve().parents[1] / "enquiries" / "schemathesis_hooks.py"
if _LEADS_HOOKS.exists():
    _spec = importlib.util.spec_from_file_location("_leads_schemathesis_hooks", _LEADS_HOOKS)
    _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
