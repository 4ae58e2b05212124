"""The email templates: every kind's default wording is valid admin wording, renders every
placeholder it uses, escapes placeholder values in HTML, and looks like an email.

Each kind's HTML is also written to test-results/emails/<kind>.html for a person to look at.
"""

import html
import re
from pathlib import Path

import pytest

import booking.emails  # noqa: F401  (registers the booking kinds; the app does it at ready too)
from outbox import rendering
from outbox.models import EmailTemplate
from outbox.registry import KINDS

pytestmark = pytest.mark.django_db

OUTPUT = Path(__file__).resolve().parents[2] / "test-results" / "emails"

# What the placeholders look like in real emails (booking.emails.booking_placeholders): several
# hold more than one line. Each value is distinct, so finding it in the output means it was used.
SAMPLES = {
    "reference": "K7PX3M9Q",
    "course": "De-escalation Skills",
    "dates": "Tue 3 March 2026, 09:30-16:30\nWed 4 March 2026, 09:30-16:00",
    "first_day": "Tue 3 March 2026",
    "venue": "Orwell Training Centre\nUnit 4, Orwell Business Park\nIpswich IP3 9SJ",
    "venue_notes": "Step-free entrance from the car park; hearing loop in the training room.\nFree parking on site.",
    "organisation": "East Suffolk and North Essex NHS Foundation Trust",
    "booker_name": "Priya Shah",
    "manage_link": "https://training.example.com/book/manage/K7PX3M9Q:Zx8vRk2p0aQ4mT7yB1nC5dE9fG3hJ6kL/",
    "delegates": "Sam Jones (sam.jones@example.org)\nAlex Reid (alex.reid@example.org)\nJo Patel (jo.patel@example.org)",
    "delegate_count": "3",
    "price_per_delegate": "£150.00",
    "total_net": "£450.00",
    "vat": "£90.00",
    "total_gross": "£540.00",
    "po_line": "PO to follow: please add your purchase order number by Tue 24 February 2026, 17:00",
    "status_line": "Your places are held while we wait for your purchase order.",
    "cancellation_terms": "You can cancel, substitute or add delegates free of charge through your manage link "
    "until booking closes, 24 hours before the start. After that, please call us.",
    "po_deadline": "Tue 24 February 2026, 17:00",
    "days_left": "2 days",
    "days_before": "4 days",
    "delegate_name": "Sam Jones",
    "joining_link": "https://meet.example.net/j/8812345",
    "joining_instructions": "Please arrive by 09:15 and sign in at reception.\nWear comfortable clothes.",
    "adjustments": "Uses a wheelchair; needs a table at seated height",
    "previous_dates": "Tue 24 February 2026, 09:30-16:30",
    "previous_venue": "Colchester Hub\n1 High Street\nColchester CO1 1AA",
    "reason": "The trainer is unwell and we could not find a replacement in time.",
    # Leads and the newsletter (enquiries.notifications).
    "name": "Jordan Ellis",
    "lead_type": "callback request",
    "promise": "by 11:00 tomorrow",
    "summary": "Name: Jordan Ellis, Practice Educator\nOrganisation: East Suffolk and North Essex NHS Foundation Trust"
    "\nEmail: jordan.ellis@example.org\nPhone: 01473 555 987\nCourses: De-escalation Skills\nStaff to train: 24"
    "\nMessage: Our ward staff need refresher training before winter.",
    "owner": "Sam Taylor",
    "due": "Wed 4 March 2026, 11:00",
    "admin_link": "https://training.example.com/admin/enquiries/lead/42/change/",
    "duplicate_note": "This may be the same as open lead R4TW8N2B: merge or keep apart.",
    "phone": "01473 555 987",
    "overdue": "R4TW8N2B Ipswich Hospital (callback, new), due Tue 3 March 2026, 11:00: Call back"
    "\nH2KD7QXA Orwell Academy (enquiry, contacted), due Tue 3 March 2026, 15:30: Send the proposal",
    "due_today": "M8PZ4CWE Suffolk County Council (enquiry, qualified), due Wed 4 March 2026, 10:00: Agree dates"
    "\nT3VN6JRB Jo Patel (callback, no answer), due Wed 4 March 2026, 14:00: Try calling again"
    "\nW9YB5LKS Colchester Buses (enquiry, new), due Wed 4 March 2026, 16:30: Reply to the enquiry",
    "overdue_count": "2",
    "due_today_count": "3",
    "confirm_link": "https://training.example.com/newsletter/confirm/MTc:1vQx9a:Zx8vRk2p0aQ4mT7yB1nC5dE9fG3/",
    "unsubscribe_link": "https://training.example.com/newsletter/unsubscribe/17:Hq3sD8wL2nP6tR0yU4vX7zB9cF1/",
}
OPTIONAL = {
    "venue_notes",
    "joining_link",
    "joining_instructions",
    "adjustments",
    "reason",
    "previous_dates",
    "previous_venue",
}
ALL_KINDS = sorted(KINDS)


def sample_values(kind_name):
    return {name: SAMPLES.get(name, f"Sample {name} value") for name in KINDS[kind_name].placeholders}


def assert_fully_rendered(*parts):
    for part in parts:
        assert "{{" not in part and "{%" not in part and "{#" not in part, part


def test_every_booking_kind_is_registered():
    assert set(booking.emails.KINDS) <= set(KINDS)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_default_wording_is_valid_admin_wording(kind):
    subject, body = rendering.default_wording(kind)
    assert subject and "\n" not in subject
    rendering.check_wording(kind, subject)
    used = rendering.check_wording(kind, body)
    assert used <= set(KINDS[kind].placeholders)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_render_with_every_placeholder(kind, settings):
    values = sample_values(kind)
    subject, text, body_html = rendering.render(kind, values)
    _, body_source = rendering.default_wording(kind)
    used = rendering.check_wording(kind, body_source)

    assert subject and "\n" not in subject
    assert_fully_rendered(subject, text, body_html)
    for name in used:
        # Plain text: each value exactly as given, newlines and all.
        assert values[name] in text, f"{kind}: the text lost {{{{ {name} }}}}"
        # HTML: the same content, escaped, one line at a time (newlines become <br>).
        for line in values[name].splitlines():
            assert html.escape(line, quote=False) in body_html, f"{kind}: the HTML lost {{{{ {name} }}}}: {line!r}"
    if "reference" in KINDS[kind].placeholders:
        assert values["reference"] in body_html
    if "manage_link" in used:
        assert f'href="{values["manage_link"]}"' in body_html

    # The layout: British English, the provider's details, the plain-text signature.
    assert '<html lang="en-GB">' in body_html
    assert "max-width:600px" in body_html
    for detail in ("name", "phone", "email", "address"):
        assert settings.PROVIDER[detail] in text
        assert html.escape(settings.PROVIDER[detail]) in body_html
    assert "<img" not in body_html and "<link" not in body_html and "@import" not in body_html

    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"{kind}.html").write_text(body_html, encoding="utf-8")
    (OUTPUT / f"{kind}.txt").write_text(f"Subject: {subject}\n\n{text}", encoding="utf-8")


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_render_without_the_optional_placeholders(kind):
    values = {name: ("" if name in OPTIONAL else value) for name, value in sample_values(kind).items()}
    subject, text, body_html = rendering.render(kind, values)
    assert_fully_rendered(subject, text, body_html)
    assert "\n\n\n" not in text, "an empty optional part leaves a gap"
    assert "None" not in text and "None" not in body_html
    if "venue_notes" in values:
        assert "Access and parking" not in text and "Access and parking" not in body_html
    if "joining_link" in values:
        assert "Join online" not in text and "virtual classroom" not in body_html
    if "reason" in values:
        assert "Reason:" not in text and "Reason:" not in body_html


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_render_with_every_placeholder_empty(kind):
    subject, text, body_html = rendering.render(kind, {})
    assert_fully_rendered(subject, text, body_html)
    assert "\n" not in subject


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_placeholder_values_are_plain_text_escaped_in_html(kind):
    evil = '<script>alert("x")</script> & <b>bold</b>'
    values = dict.fromkeys(KINDS[kind].placeholders, evil)
    subject, text, body_html = rendering.render(kind, values)
    assert "<script" not in body_html and "<b>bold" not in body_html
    assert "&lt;script&gt;" in body_html
    # Subject and text are plain text: the value as written, not HTML-escaped.
    assert "&lt;" not in text and "&amp;" not in text
    assert "<script>" in text
    assert "&lt;" not in subject and "&amp;" not in subject


def test_the_signature_is_plain_text(settings):
    settings.PROVIDER = {**settings.PROVIDER, "name": "Calm & Co Training"}
    _, text, body_html = rendering.render("booking_confirmation", sample_values("booking_confirmation"))
    assert "Calm & Co Training" in text and "&amp;" not in text
    assert "Calm &amp; Co Training" in body_html


def test_admin_wording_is_shown_in_the_layout(settings):
    EmailTemplate.objects.create(
        kind="booking_confirmation",
        subject="Booked: {{ course }} ({{ reference }}) for {{ booker_name }}",
        body_text="Dear {{ booker_name }},\n\nYour reference is {{ reference }}.\nManage it here: {{ manage_link }}\n",
    )
    values = {**sample_values("booking_confirmation"), "booker_name": "<b>Priya</b> & Sons"}
    subject, text, body_html = rendering.render("booking_confirmation", values)
    assert subject == "Booked: De-escalation Skills (K7PX3M9Q) for <b>Priya</b> & Sons"
    assert "Dear <b>Priya</b> & Sons," in text
    # The text becomes paragraphs and links in the site's layout, its values escaped once.
    assert "<p>Dear &lt;b&gt;Priya&lt;/b&gt; &amp; Sons,</p>" in body_html
    assert "Your reference is K7PX3M9Q.<br>" in body_html
    assert f'<a href="{values["manage_link"]}"' in body_html
    assert "&lt;p&gt;" not in body_html and "&amp;lt;" not in body_html
    assert "<b>Priya" not in body_html  # the subject, in <title>, is escaped too
    assert settings.PROVIDER["name"] in body_html and '<html lang="en-GB">' in body_html
    assert_fully_rendered(subject, text, body_html)


@pytest.mark.parametrize(
    ("wording", "message"),
    [
        ("Hello {{ nobody }}", "Unknown placeholder {{ nobody }}"),
        ("{% if nobody %}x{% endif %}", "Unknown placeholder 'nobody'"),
        ("{{ reference|upper }}", "Only plain placeholders are allowed"),
        ("{{ reference|default:'none' }}", "Only plain placeholders are allowed"),
        ("{{ provider.name }}", "Only plain placeholders are allowed"),
        ("{{ reference.upper }}", "Only plain placeholders are allowed"),
        ("{% load humanize %}{{ reference }}", "not {% load humanize %}"),
        ('{% include "emails/_signature.txt" %}', 'not {% include "emails/_signature.txt" %}'),
        ("{% for x in reference %}{% endfor %}", "Only placeholders and {% if name %}"),
        ("{% comment %}hidden{% endcomment %}", "Only placeholders and {% if name %}"),
        ("{% now 'Y' %}", "Only placeholders and {% if name %}"),
        ("{% if reference %}unclosed", "The wording cannot be read"),
        ("{% nosuchtag %}", "The wording cannot be read"),
    ],
)
def test_check_wording_rejects_anything_but_placeholders_and_ifs(wording, message):
    with pytest.raises(rendering.WordingError) as error:
        rendering.check_wording("booking_confirmation", wording)
    assert message in str(error.value)


def test_check_wording_rejects_filters_in_an_if():
    with pytest.raises(rendering.WordingError, match="Only plain placeholders"):
        rendering.check_wording("booking_confirmation", "{% if reference|length %}x{% endif %}")


def test_check_wording_explains_a_comparison_in_an_if():
    with pytest.raises(rendering.WordingError) as error:
        rendering.check_wording("booking_confirmation", "{% if reference == 'X' %}x{% endif %}")
    assert "None" not in str(error.value)


def test_check_wording_lists_the_available_placeholders():
    with pytest.raises(rendering.WordingError, match=r"Available: .*reference"):
        rendering.check_wording("booking_confirmation", "{{ nobody }}")


def test_check_wording_accepts_placeholders_and_ifs():
    used = rendering.check_wording(
        "booking_confirmation",
        "Ref {{ reference }}\n{% if venue_notes %}{{ venue_notes }}{% elif venue %}{{ venue }}{% else %}-{% endif %}"
        "{% if not po_line %}none{% endif %}",
    )
    assert used == {"reference", "venue_notes", "venue", "po_line"}


def test_an_unknown_kind_is_refused():
    with pytest.raises(KeyError):
        rendering.check_wording("no_such_kind", "Hello")


def test_html_output_is_one_document_per_kind():
    # Guards the layout against a block rendered twice or an unclosed table.
    _, _, body_html = rendering.render("booking_confirmation", sample_values("booking_confirmation"))
    assert body_html.count("<html") == 1 and body_html.count("</html>") == 1
    assert len(re.findall(r"<table\b", body_html)) == body_html.count("</table>")
