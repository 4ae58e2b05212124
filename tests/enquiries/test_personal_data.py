"""Personal-data requests: erasing one person (every lead found by their email or phone, their
newsletter record and the emails about them; bookings and delegate rows kept), the subject-access
export by email or phone, who may do either in the admin, the record of requests, and the lead
CSV streamed. Set up through the real services, as the website and the sales team make them."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.models import Booking, Delegate
from booking.services import DelegateData
from enquiries import services
from enquiries.models import DataRequest, Lead, LeadActivity, LeadStatus, NewsletterSubscriber
from enquiries.services import retention
from outbox.models import EmailStatus, OutboundEmail
from tests.enquiries.test_admin import callback, enquiry, owned_by
from tests.factories import CourseFactory, make_booking, make_session

pytestmark = pytest.mark.django_db

User = get_user_model()

JO = "jo.patel@example.org"
JO_PHONE = "07911 123 456"
REASON = "Asked by email on 3 March to be forgotten"


@pytest.fixture(autouse=True)
def no_round_robin(settings):
    settings.LEADS_ROUND_ROBIN = False


@pytest.fixture
def jo(amy):
    """Jo Patel, as we know her: an enquiry (email and mobile), a callback from the same mobile
    with no email, an older enquiry under her address in capitals from her desk phone, a
    newsletter sign-up, a booking she made and a place on a colleague's booking. And Sam, a
    colleague on that booking, who must be left alone."""
    session = make_session(course=CourseFactory(title="De-escalation Skills"), capacity=10)
    made = make_booking(
        session,
        contact_name="Jo Patel",
        contact_email=JO,
        contact_phone=JO_PHONE,
        delegates=[DelegateData(name="Jo Patel", email=JO, job_role="Ward manager")],
    )
    place = make_booking(
        make_session(capacity=10, starts_in_days=60),
        delegates=[
            DelegateData(name="Jo Patel", email=JO.upper(), job_role="Ward manager"),
            DelegateData(name="Sam Colleague", email="sam.colleague@example.org", job_role="Nurse"),
        ],
    )
    services.newsletter_confirm(subscriber=services.newsletter_subscribe(email=JO, name="Jo").subscriber)
    return {
        "enquiry": owned_by(amy, enquiry(1, name="Jo Patel", email=JO, phone=JO_PHONE)),
        "callback": callback(2, name="Jo", phone=JO_PHONE),
        "desk": enquiry(3, name="Jo Patel", email=JO.upper(), phone="01473 555 999"),
        "someone_else": enquiry(4),
        "booking": made,
        "place": place,
        "session": session,
    }


def personal_data_in(data_request):
    return json.dumps([data_request.reason, data_request.matched_by, data_request.counts, data_request.references])


# Erasure ------------------------------------------------------------------------------------------


def test_erasing_one_person_anonymises_all_their_leads_and_newsletter_record(jo, amy):
    seats_before = jo["session"].bookings.count(), Delegate.objects.count()

    done = services.person_erase(lead=jo["enquiry"], reason=REASON, actor=amy)

    for name in ("enquiry", "callback", "desk"):  # by email (any case) and by phone
        lead = Lead.objects.get(pk=jo[name].pk)
        assert lead.name == services.ANONYMISED and (lead.email, str(lead.phone or "")) == ("", "")
        assert lead.anonymised_at is not None and lead.anonymised_reason == REASON
        # Open leads are closed: they can no longer be worked, so never overdue.
        assert (lead.status, lead.due_at, lead.next_action) == (LeadStatus.LOST, None, "")
        entry = lead.activities.filter(kind=LeadActivity.Kind.PERSONAL_DATA).get()
        assert (entry.text, entry.author) == (f"Personal data erased on request: {REASON}", amy)
        texts = " ".join(lead.activities.values_list("text", flat=True))
        assert "Jo" not in texts and "555" not in texts
    other = Lead.objects.get(pk=jo["someone_else"].pk)
    assert other.anonymised_at is None and other.email == "enquirer4@example.org"
    assert not NewsletterSubscriber.objects.filter(email__iexact=JO).exists()

    # Emails about the leads and the newsletter's emails hold nothing; booking emails are kept.
    erased = OutboundEmail.objects.filter(lead__in=[jo[n].pk for n in ("enquiry", "callback", "desk")])
    assert erased.exists() and set(erased.values_list("subject", flat=True)) == {services.ANONYMISED}
    assert not OutboundEmail.objects.filter(kind__startswith="newsletter", recipients__icontains="jo.patel").exists()
    assert OutboundEmail.objects.filter(booking=jo["booking"], recipients=JO).exists()

    # Bookings and delegate rows are contract records: kept whole, seats and totals unchanged.
    assert (jo["session"].bookings.count(), Delegate.objects.count()) == seats_before
    assert Booking.objects.get(pk=jo["booking"].pk).contact_email == JO
    assert jo["place"].delegates.filter(email__iexact=JO).exists()

    assert DataRequest.objects.get() == done
    assert (done.kind, done.reason, done.actor) == (DataRequest.Kind.ERASURE, REASON, amy)
    assert done.matched_by == "email, phone"
    assert done.counts == {
        "leads": 3,
        "leads_left_out": 0,
        "newsletter": 1,
        "emails": done.counts["emails"],
        "bookings_kept": 1,
        "delegate_rows_kept": 2,
        "quotes_kept": 0,
        "invoices_kept": 1,  # the booking's invoice: an accounting record
    }
    assert done.counts["emails"] >= 4  # 3 leads' acknowledgements or alerts, the newsletter's two
    assert f"lead {jo['callback'].reference}" in done.references
    assert f"booking {jo['booking'].reference} (kept)" in done.references
    # (References are random capitals and digits: look for what they can never contain.)
    leaks = ("jo.patel", "Patel", "+44", "07911 123", "01473 555")
    assert not any(text in personal_data_in(done) for text in leaks)


def test_erasure_needs_a_reason_and_changes_nothing_without_one(jo, amy):
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as raised:
            services.person_erase(lead=jo["enquiry"], reason=reason, actor=amy)
        assert "reason" in raised.value.message_dict
    assert not Lead.objects.filter(anonymised_at__isnull=False).exists()
    assert not DataRequest.objects.exists()


def test_erasure_is_all_or_nothing(jo, amy, monkeypatch):
    real, calls = retention._anonymise_emails, []

    def fails_after_the_first_lead(emails):
        calls.append(emails)
        if len(calls) > 1:
            raise RuntimeError("database went away")
        return real(emails)

    monkeypatch.setattr(retention, "_anonymise_emails", fails_after_the_first_lead)
    with pytest.raises(RuntimeError):
        services.person_erase(lead=jo["enquiry"], reason=REASON, actor=amy)
    assert not Lead.objects.filter(anonymised_at__isnull=False).exists()
    assert Lead.objects.get(pk=jo["enquiry"].pk).email == JO
    assert NewsletterSubscriber.objects.filter(email=JO).exists() and not DataRequest.objects.exists()


def test_staff_may_leave_out_a_colleague_found_by_a_shared_number(amy):
    lead = enquiry(1, email=JO, phone="01473 555 000")
    colleague = enquiry(2, name="Pat Other", email="pat@example.org", phone="01473 555 000")
    plan = services.person_erase_plan(lead=lead)
    assert plan.found_by(colleague) == ["phone"] and plan.doubtful(colleague)

    done = services.person_erase(lead=lead, reason=REASON, actor=amy, confirmed=[])

    colleague.refresh_from_db()
    assert colleague.anonymised_at is None and colleague.name == "Pat Other"
    assert done.counts["leads"] == 1 and done.counts["leads_left_out"] == 1
    assert f"lead {colleague.reference} (left out: not the same person)" in done.references


def test_an_email_still_queued_to_an_erased_person_is_withdrawn_not_sent(amy):
    lead = enquiry(1, email=JO)
    OutboundEmail.objects.filter(lead=lead).update(status=EmailStatus.QUEUED)
    services.person_erase(lead=lead, reason=REASON, actor=amy)
    for row in OutboundEmail.objects.filter(lead=lead):
        assert (row.status, row.to, row.ops_alerted) == (EmailStatus.FAILED, [], True)
        assert "erased" in row.last_error


def test_an_erased_lead_is_not_erased_twice(amy):
    lead = enquiry(1)
    services.person_erase(lead=lead, reason=REASON, actor=amy)
    with pytest.raises(ValidationError, match="already been removed"):
        services.person_erase(lead=lead, reason=REASON, actor=amy)


def test_retention_uses_the_same_anonymising_and_says_why(amy):
    lead = owned_by(amy, enquiry(1))
    services.lead_change_status(lead=lead, status=LeadStatus.WON)
    Lead.objects.filter(pk=lead.pk).update(closed_at=lead.created_at.replace(year=lead.created_at.year - 3))
    assert services.leads_anonymise_closed() == 1
    lead.refresh_from_db()
    assert lead.name == services.ANONYMISED and lead.status == LeadStatus.WON
    assert lead.anonymised_reason.startswith("Retention")


# Subject access ------------------------------------------------------------------------------------


def test_export_by_phone_finds_the_lead_the_booking_the_delegate_row_and_the_emails(jo, amy):
    export = services.personal_data_export(phone="07911123456", actor=amy)

    assert export["phone"] == "+447911123456" and export["email"] is None
    assert {lead["reference"] for lead in export["leads"]} == {jo["enquiry"].reference, jo["callback"].reference}
    assert [b["reference"] for b in export["bookings_made"]] == [jo["booking"].reference]
    assert sorted(p["booking"] for p in export["places_as_delegate"]) == sorted(
        [jo["booking"].reference, jo["place"].reference]
    )
    assert [n["status"] for n in export["newsletter"]] == ["confirmed"]
    kinds = {e["kind"] for e in export["emails_sent"]}
    assert {"lead_acknowledgement", "booking_confirmation", "joining_instructions", "newsletter_welcome"} <= kinds
    # Nothing sent to anyone else: not the sales team's alert, not Sam's joining instructions.
    assert all(JO in [a.lower() for a in e["to"]] for e in export["emails_sent"])
    assert "Sam Colleague" not in json.dumps(export)

    request = DataRequest.objects.get()
    assert (request.kind, request.matched_by, request.actor) == (DataRequest.Kind.ACCESS, "phone", amy)
    assert request.counts["leads"] == 2 and request.counts["delegate_rows"] == 2
    assert not any(text in personal_data_in(request) for text in ("jo.patel", "Patel", "+44", "07911 123"))


def test_export_by_email_finds_the_same_person(jo, amy):
    export = services.personal_data_export(email=" JO.Patel@example.org ", actor=amy)
    assert {lead["reference"] for lead in export["leads"]} == {jo["enquiry"].reference, jo["desk"].reference}
    assert [b["reference"] for b in export["bookings_made"]] == [jo["booking"].reference]
    assert len(export["places_as_delegate"]) == 2 and len(export["newsletter"]) == 1
    assert {"lead_acknowledgement", "booking_confirmation", "newsletter_confirm"} <= {
        e["kind"] for e in export["emails_sent"]
    }
    assert DataRequest.objects.get().matched_by == "email"


@pytest.mark.parametrize(
    ("email", "phone", "field"),
    [
        ("", "", "email"),
        (None, "12345", "phone"),
        (None, "+33 1 42 68 53 00", "phone"),  # a real number, but not a UK one
        (None, "0" * 500, "phone"),
        ("not an address", None, "email"),
    ],
)
def test_bad_input_is_refused_field_by_field(email, phone, field):
    with pytest.raises(ValidationError) as raised:
        services.personal_data_export(email=email, phone=phone)
    assert field in raised.value.message_dict
    assert not DataRequest.objects.exists()


# The admin pages ----------------------------------------------------------------------------------


def erase_url(lead):
    return reverse("admin:enquiries_lead_erase", args=[lead.pk])


def test_sales_staff_download_the_export_by_phone(amy_client, amy, jo):
    url = reverse("admin:enquiries_lead_personal_data")
    page = amy_client.get(url)
    assert page.status_code == 200
    assert 'type="tel"' in page.content.decode()
    response = amy_client.post(url, {"email": "", "phone": JO_PHONE})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="personal-data-+447911123456.json"'
    data = json.loads(response.content)
    assert jo["booking"].reference in [b["reference"] for b in data["bookings_made"]]
    assert DataRequest.objects.get().actor == amy


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "", "phone": "01473"}, "Enter a UK phone number"),
        ({"email": "", "phone": ""}, "Enter an email address or a UK phone number."),
        ({"email": "jo@", "phone": ""}, "Enter an email address in the correct format"),
        ({"email": "x" * 300, "phone": "9" * 300}, "at most"),
        ({"phone": ["07911123456", "07911123457"]}, ""),
    ],
)
def test_the_export_page_answers_any_input_with_field_errors(amy_client, fields, message):
    response = amy_client.post(reverse("admin:enquiries_lead_personal_data"), fields)
    assert response.status_code == 200
    if message:
        html = response.content.decode()
        assert message in html and 'id="error-summary"' in html


def test_the_export_page_refuses_null_characters_without_an_error_page(amy_client):
    # core's request guard answers these before the view: 400, never a 500.
    response = amy_client.post(reverse("admin:enquiries_lead_personal_data"), {"email": "a\x00b@example.org"})
    assert response.status_code == 400
    assert not DataRequest.objects.exists()


def test_sales_staff_erase_a_person_from_the_lead_page(amy_client, jo):
    lead = jo["enquiry"]
    page = amy_client.get(erase_url(lead)).content.decode()
    for reference in (lead.reference, jo["callback"].reference, jo["desk"].reference, jo["booking"].reference):
        assert reference in page
    assert jo["someone_else"].reference not in page

    refused = amy_client.post(erase_url(lead), {"reason": ""})
    assert refused.status_code == 200
    assert "Give the reason for erasing this person&#x27;s data." in refused.content.decode()
    assert not Lead.objects.filter(anonymised_at__isnull=False).exists()

    # As the browser sends it: the other matches are ticked.
    ticked = [jo["callback"].pk, jo["desk"].pk]
    response = amy_client.post(erase_url(lead), {"reason": REASON, "leads": ticked})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:enquiries_lead_change", args=[lead.pk])
    assert Lead.objects.filter(anonymised_at__isnull=False).count() == 3
    [message] = [str(m) for m in amy_client.get(response["Location"]).context["messages"]]
    assert message.startswith("Personal data erased: 3 lead(s)")

    again = amy_client.get(erase_url(lead))
    assert again.status_code == 302  # already erased: back to the lead with a message


def test_the_erase_page_leaves_a_doubtful_match_unticked(amy_client):
    lead = enquiry(1, email=JO, phone="01473 555 000")
    colleague = enquiry(2, name="Pat Other", email="pat@example.org", phone="01473 555 000")
    same_person = callback(3, phone="01473 555 000")
    html = amy_client.get(erase_url(lead)).content.decode()
    assert f'value="{same_person.pk}" id="erase-lead-{same_person.pk}" checked' in html
    assert f'value="{colleague.pk}" id="erase-lead-{colleague.pk}">' in html
    assert "Another email address: check this is the same person." in html

    tampered = amy_client.post(erase_url(lead), {"reason": REASON, "leads": [same_person.pk, "9" * 5000]})
    assert tampered.status_code == 200 and not Lead.objects.filter(anonymised_at__isnull=False).exists()

    amy_client.post(erase_url(lead), {"reason": REASON, "leads": [same_person.pk]})
    assert set(Lead.objects.filter(anonymised_at__isnull=False)) == {lead, same_person}


def test_staff_without_the_export_permission_get_403(client, jo):
    user = User.objects.create_user("office", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_lead", "change_lead"]))
    client.force_login(user)
    lead = jo["enquiry"]
    assert client.get(reverse("admin:enquiries_lead_personal_data")).status_code == 403
    assert client.post(reverse("admin:enquiries_lead_personal_data"), {"phone": JO_PHONE}).status_code == 403
    assert client.get(erase_url(lead)).status_code == 403
    assert client.post(erase_url(lead), {"reason": REASON}).status_code == 403
    assert not Lead.objects.filter(anonymised_at__isnull=False).exists()
    assert not DataRequest.objects.exists()


def test_the_record_of_requests_is_read_only_for_sales(amy_client, amy, jo):
    done = services.person_erase(lead=jo["enquiry"], reason=REASON, actor=amy)
    listing = amy_client.get(reverse("admin:enquiries_datarequest_changelist"))
    assert listing.status_code == 200 and "3 lead(s)" in listing.content.decode()
    found = amy_client.get(reverse("admin:enquiries_datarequest_changelist"), {"q": jo["callback"].reference})
    assert list(found.context["cl"].result_list) == [done]
    detail = amy_client.get(reverse("admin:enquiries_datarequest_change", args=[done.pk]))
    assert detail.status_code == 200 and REASON in detail.content.decode()
    assert 'name="reason"' not in detail.content.decode()
    assert amy_client.get(reverse("admin:enquiries_datarequest_add")).status_code == 403
    assert amy_client.post(reverse("admin:enquiries_datarequest_delete", args=[done.pk])).status_code == 403
    assert DataRequest.objects.filter(pk=done.pk, reason=REASON).exists()


# The lead CSV, streamed ---------------------------------------------------------------------------


def streamed_rows(response):
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_streamed_csv_has_every_lead_once_and_no_formula_cells(amy_client, amy):
    courses = [CourseFactory(title="=Course A"), CourseFactory(title="Course B")]
    leads = [
        enquiry(n, name=name, organisation=organisation)
        for n, (name, organisation) in enumerate(
            [("=HYPERLINK(1)", "+Trust"), ("-2+3", "@SUM(A1)"), ("Plain Name", "Plain Trust")]
        )
    ]
    for lead in leads:
        lead.courses.set(courses)
    url = reverse("admin:enquiries_lead_export")
    response = amy_client.get(url, {"owner": "all", "state": "all"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = streamed_rows(response)
    assert header[0] == "Reference" and len(rows) == len(leads)
    assert sorted(row[0] for row in rows) == sorted(lead.reference for lead in leads)
    record = dict(zip(header, rows[[row[0] for row in rows].index(leads[0].reference)], strict=True))
    assert (record["Name"], record["Organisation"]) == ("'=HYPERLINK(1)", "'+Trust")
    assert record["Courses"] == "'=Course A; Course B"
    for row in rows:
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row), row


def test_the_csv_starts_before_any_query_and_its_queries_do_not_grow_with_the_leads(amy_client, amy):
    course = CourseFactory(title="Course A")

    def export_queries():
        response = amy_client.get(reverse("admin:enquiries_lead_export"), {"owner": "all", "state": "all"})
        chunks = iter(response.streaming_content)
        with CaptureQueriesContext(connection) as first:
            assert next(chunks).startswith("\ufeffReference,".encode())
        assert len(first) == 0
        with CaptureQueriesContext(connection) as rest:
            list(chunks)
        return len(rest)

    def add_leads(numbers):
        for n in numbers:
            enquiry(n).courses.set([course])

    add_leads(range(3))
    few = export_queries()
    add_leads(range(3, 30))
    assert export_queries() == few
