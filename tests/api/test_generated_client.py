"""The booking API through a client generated from its own OpenAPI schema, against a live server.

The schema is written with `manage.py spectacular`, a client generated from it with
openapi-python-client (offline), imported, and a booking is made, read with its manage token,
given its PO, a delegate added and another substituted, and cancelled, all through the generated
functions. It fails when the schema and the server disagree: a status the schema does not list
(the clients raise on it), an answer missing a required field or with a wrong type or enum value
(the models refuse it), a field the schema does not declare (checked below), or a request body
the server refuses.
"""

import importlib
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command

from booking import links, services
from booking.models import Booking
from tests.factories import CourseFactory, make_session

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = shutil.which("openapi-python-client") or str(Path(sys.executable).with_name("openapi-python-client"))


@pytest.fixture
def api(tmp_path):
    """The generated client package, imported under a name of its own."""
    if not Path(GENERATOR).exists():
        pytest.skip("openapi-python-client is not installed (requirements-dev.txt): no client to generate")
    schema, config = tmp_path / "schema.yaml", tmp_path / "config.yaml"
    call_command("spectacular", "--file", str(schema))
    config.write_text("post_hooks: []\n")  # no formatter run: nothing else needs to be installed
    package = f"generated_api_{uuid.uuid4().hex[:8]}"
    result = subprocess.run(
        [GENERATOR, "generate", "--path", schema, "--output-path", tmp_path / package, "--meta", "none"]
        + ["--config", config],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 or "Warning" in result.stdout + result.stderr:
        pytest.fail(f"openapi-python-client could not use the schema:\n{result.stdout}\n{result.stderr}")
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == package or name.startswith(f"{package}.")]:
            del sys.modules[name]


def function(api, tag, operation_id):
    return importlib.import_module(f"{api.__name__}.api.{tag}.{operation_id}")


def assert_declared(value, where="answer"):
    """Every field of an answer is one the schema declares: the generated models keep any other
    in `additional_properties`."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            assert_declared(item, f"{where}[{index}]")
    elif hasattr(value, "additional_properties") and hasattr(value, "to_dict"):
        assert value.additional_properties == {}, f"{where} has fields the schema does not declare"
        for name in value.__attrs_attrs__:
            if name.name != "additional_properties":
                assert_declared(getattr(value, name.name), f"{where}.{name.name}")


def call(module, **kwargs):
    """The operation's answer, parsed by the generated client, after checking that it is the
    success the schema promises for it and declares every field it carries."""
    response = module.sync_detailed(**kwargs)
    assert 200 <= response.status_code < 300, (response.status_code, response.content)
    assert_declared(response.parsed)
    return response


def test_a_booking_made_read_changed_and_cancelled_through_the_generated_client(api, live_server):
    models = importlib.import_module(f"{api.__name__}.models")
    session = make_session(course=CourseFactory(price="145.00"), capacity=5)
    public = api.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    # Book, as the public does: a booker, two delegates, the PO to follow.
    made = call(
        function(api, "bookings", "bookings_create"),
        client=public,
        idempotency_key=str(uuid.uuid4()),
        body=models.BookingPoToFollowRequest(
            session=session.pk,
            organisation="East Coast NHS Trust",
            organisation_type=models.OrganisationTypeEnum.NHS,
            ods_code="rgt01",
            contact_name="Sam Booker",
            contact_email="sam.booker@example.org",
            contact_phone="01473 555 012",
            invoice_address="Finance, 1 Hospital Road, Ipswich IP4 5PD",
            po_to_follow=True,
            accept_terms=True,
            delegates=[
                models.DelegateRequest(name="Ann Archer", email="ann@example.org", job_role="Nurse"),
                models.DelegateRequest(name="Bob Bell", email="bob@example.org", adjustments="Step-free access."),
            ],
        ),
    )
    booking = made.parsed
    assert made.status_code == 201
    assert made.headers["Location"] == f"{live_server.url}/api/v1/bookings/{booking.reference}/"
    assert (booking.status, booking.manage_url) == (models.BookingStatusEnum.UNCONFIRMED, None)
    assert [d.name for d in booking.delegates] == ["Ann Archer", "Bob Bell"]
    assert booking.session.seats_remaining == 3

    # The booker confirms their address from the emailed link, which carries the manage token.
    record = Booking.objects.get(reference=booking.reference)
    services.booking_confirm_email(booking=record)
    booker = api.AuthenticatedClient(
        base_url=live_server.url, token=links.manage_token(record), prefix="Booking", raise_on_unexpected_status=True
    )
    reference = booking.reference

    read = call(function(api, "bookings", "bookings_retrieve"), reference=reference, client=booker).parsed
    assert read.status == models.BookingStatusEnum.AWAITING_PO
    assert read.manage_url == links.manage_url(record)

    confirmed = call(
        function(api, "bookings", "bookings_partial_update"),
        reference=reference,
        client=booker,
        body=models.BookingsPartialUpdateBody(purchase_order="PO-4521"),
    ).parsed
    assert (confirmed.status, confirmed.po_deadline) == (models.BookingStatusEnum.CONFIRMED, None)

    added = call(
        function(api, "bookings", "bookings_delegates_create"),
        reference=reference,
        client=booker,
        body=models.DelegatesAddRequest(delegates=[models.DelegateRequest(name="Cara Cole", email="cara@example.org")]),
    ).parsed
    assert [d.name for d in added.delegates] == ["Ann Archer", "Bob Bell", "Cara Cole"]
    bob = added.delegates[1]

    substituted = call(
        function(api, "bookings", "bookings_delegates_substitute_create"),
        reference=reference,
        delegate_id=bob.id,
        client=booker,
        body=models.DelegateRequest(name="Dev Dhillon", email="dev@example.org", job_role="Porter"),
    ).parsed
    assert [(d.id, d.name) for d in substituted.delegates if d.id == bob.id] == [(bob.id, "Dev Dhillon")]
    assert substituted.session.seats_remaining == 2

    cancelled = call(
        function(api, "bookings", "bookings_cancel_create"),
        reference=reference,
        client=booker,
        body=models.CancelRequest(reason="Ward closed for refurbishment"),
    ).parsed
    assert cancelled.status == models.BookingStatusEnum.CANCELLED
    assert cancelled.session.seats_remaining == 5

    # Refusals parse as the schema says too: another booking's seats run out, a reference is unknown.
    full = function(api, "bookings", "bookings_create").sync_detailed(
        client=public,
        body=models.BookingWithPurchaseOrderRequest(
            session=session.pk,
            organisation="Stour Valley College",
            organisation_type=models.OrganisationTypeEnum.EDUCATION,
            contact_name="Tess Teacher",
            contact_email="tess@example.org",
            contact_phone="07911 123456",
            invoice_address="Accounts, Stour Valley College, Sudbury CO10 1AA",
            purchase_order="SVC-88",
            accept_terms=True,
            delegates=[models.DelegateRequest(name=f"Person {n}", email=f"p{n}@example.org") for n in range(6)],
        ),
    )
    assert full.status_code == 409
    assert (full.parsed.code, full.parsed.seats_remaining) == (models.BookingConflictCodeEnum.INSUFFICIENT_SEATS, 5)
    unknown = function(api, "bookings", "bookings_retrieve").sync_detailed(reference="ZZZZZZZZ", client=booker)
    assert (unknown.status_code, unknown.parsed.code) == (404, "not_found")
