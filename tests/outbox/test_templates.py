"""The email templates: every kind's default wording is valid admin wording, renders every
placeholder it uses, escapes placeholder values in HTML, and looks like an email; and the booking
emails say what each one is for (the confirmation is safe to forward, only the link email and the
PO reminder carry the manage link, every email to the booker shows the total).

Each kind's HTML is also written to test-results/emails/<kind>.html (and <kind>.online.html for
the kinds that read differently for an online session) for a person to look at.
"""

import html
import re
from pathlib import Path

import pytest
from django.template.loader import get_template

import booking.emails  # noqa: F401  (registers the booking kinds; the app does it at ready too)
from outbox import rendering
from outbox.models import EmailTemplate
from outbox.registry import KINDS
from tests.outbox import (
    samples_in_house,
    samples_invoicing,
    samples_quotes,
    samples_records_attendance,
    samples_records_certificates,
    samples_records_feedback,
    samples_records_reminders,
    samples_trainers,
)

pytestmark = pytest.mark.django_db

OUTPUT = Path(__file__).resolve().parents[2] / "test-results" / "emails"

# What the placeholders look like in real emails (booking.emails.booking_placeholders): several
# hold more than one line. Each value is distinct, so finding it in the output means it was used.
SAMPLES = {
    "confirm_by": "Tue 3 February 2026, 10:42",
    "confirm_within": "30 minutes",
    "reference": "K7PX3M9Q",
    "course": "De-escalation Skills",
    "dates": "Tue 3 March 2026, 09:30-16:30\nWed 4 March 2026, 09:30-16:00\nThu 5 March 2026, 09:30-13:00",
    "first_day": "Tue 3 March 2026",
    "venue": "Orwell Training Centre\nUnit 4, Orwell Business Park\nIpswich IP3 9SJ",
    "online": "yes",
    "venue_notes": "Step-free entrance from the car park; hearing loop in the training room.\nFree parking on site.",
    "organisation": "East Suffolk and North Essex NHS Foundation Trust",
    "booker_name": "Priya Shah",
    "manage_link": "https://training.example.com/bookings/K7PX3M9Q.Zx8vRk2p0aQ4mT7yB1nC5dE9f:G3hJ6kLq2Ws8/",
    "new_link_url": "https://training.example.com/bookings/new-link/",
    "delegates": "Sam Jones (sam.jones@example.org)\nAlex Reid (alex.reid@example.org)\nJo Patel (jo.patel@example.org)",
    "delegate_count": "3",
    "price_per_delegate": "£150.00",
    "total_net": "£450.00",
    "vat": "£90.00",
    "vat_rate": "20%",
    "total_gross": "£540.00",
    "total_line": "Total: 3 delegates × £150.00 = £450.00 + VAT £90.00 = £540.00 including VAT.",
    "change": "Added Jo Patel <jo.patel@example.org>.",
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
    "what_changed": "The dates and the venue have changed.",
    "previous_dates": "Tue 24 February 2026, 09:30-16:30\nWed 25 February 2026, 09:30-16:00\nThu 26 February 2026, 09:30-13:00",
    "previous_venue": "Colchester Hub\n1 High Street\nColchester CO1 1AA",
    "reason": "The trainer is unwell and we could not find a replacement in time.",
    "course_link": "https://training.example.com/courses/de-escalation-skills/#dates",
    "other_dates": "Tue 14 April 2026, Ipswich: 5 seats left\nThu 7 May 2026, Online: fully booked, waiting list open",
    "day_number": "2",
    "day_count": "3",
    "day": "Wed 4 March 2026, 09:30-16:00",
    "delegates_note": "Each new delegate receives their own joining instructions and a calendar invite by email.",
    "further_days": "The invite in this email is for day 1 of 2. Day 2 comes in a short email of its own with its "
    "own invite, so that every calendar, Outlook included, shows both days.",
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
    "for_team": "yes",
    "count": "3 leads",
    "leads": "R4TW8N2B Ipswich Hospital (callback, new) - due Tue 3 March 2026, 11:00 - Call back - call 01473 555 987"
    "\n  https://training.example.com/admin/enquiries/lead/42/change/",
    "hours": "4",
    "more": "... and 12 more in the full list.",
    "who": "East Suffolk and North Essex NHS Foundation Trust",
    "booking_reference": "K7PX3M9Q",
    "session": "De-escalation Skills, Tue 3 March 2026, Ipswich",
    "booking_status": "confirmed",
    "won": "yes",
    "due_today_count": "3",
    "confirm_link": "https://training.example.com/newsletter/confirm/MTc:1vQx9a:Zx8vRk2p0aQ4mT7yB1nC5dE9fG3/",
    "unsubscribe_link": "https://training.example.com/newsletter/unsubscribe/17:Hq3sD8wL2nP6tR0yU4vX7zB9cF1/",
}
OPTIONAL = {
    "online",
    "for_team",
    "won",
    "more",
    "venue_notes",
    "joining_link",
    "joining_instructions",
    "adjustments",
    "reason",
    "previous_dates",
    "previous_venue",
    "other_dates",
}
# `online` only switches wording: a session is in person (no joining link) or online (no venue notes).
FLAGS = {"online", "for_team", "won"}
# Each newer room keeps its own samples beside this file, so rooms never edit one dict.
for _room in (
    samples_in_house,
    samples_invoicing,
    samples_quotes,
    samples_records_attendance,
    samples_records_certificates,
    samples_records_feedback,
    samples_records_reminders,
    samples_trainers,
):
    SAMPLES.update(_room.SAMPLES)
    OPTIONAL |= _room.OPTIONAL
    FLAGS |= _room.FLAGS
IN_PERSON = {"online": "", "joining_link": ""}
ONLINE = {"online": "yes", "venue": "Online (virtual classroom)", "venue_notes": ""}
IN_HOUSE = {
    **IN_PERSON,
    "in_house": "yes",
    "total_line": "Total: agreed price £2,020.00 + VAT £404.00 = £2,424.00 including VAT.",
}
ALL_KINDS = sorted(KINDS)
BOOKING_KINDS = sorted(booking.emails.KINDS)
MANAGE_LINK_KINDS = {"booking_manage_link", "po_reminder", "in_house_confirmation"}
BOOKER_KINDS = {
    "booking_email_confirm",
    "booking_confirmation",
    "booking_changed",
    "booking_cancelled",
    "session_changed_booker",
    "session_cancelled_booker",
    "waitlist_joined",
    "waitlist_promoted",
    "po_reminder",
    "po_released",
    "booking_manage_link",
    "in_house_confirmation",
    "in_house_register_changed",
    "in_house_registration_link",
}
PRICE_TABLE_KINDS = {"booking_confirmation", "waitlist_promoted", "booking_changed"}
JOINING_KINDS = {"joining_instructions", "delegate_reminder", "session_changed"}
OTHER_DATES_KINDS = {"po_released", "session_cancelled_booker"}


def sample_values(kind_name, **overrides):
    values = {name: SAMPLES.get(name, f"Sample {name} value") for name in KINDS[kind_name].placeholders}
    values.update({name: value for name, value in overrides.items() if name in values})
    return values


def sources(kind_name):
    """The kind's subject, text and HTML templates as written."""
    prefix = KINDS[kind_name].template_prefix
    return {part: get_template(f"{prefix}/{part}").template.source for part in ("subject.txt", "body.txt", "body.html")}


def section(text, heading):
    """A plain-text section: from its capitalised heading to the next blank line."""
    assert heading in text, text
    return text.split(heading, 1)[1].split("\n\n", 1)[0]


def html_section(body_html, heading):
    """An HTML section's table: from its <h2> to the end of the table after it."""
    assert f">{heading}</h2>" in body_html, body_html
    return body_html.split(f">{heading}</h2>", 1)[1].split("</table>", 1)[0]


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


def assert_accessible(kind, body_html):
    # One h1, then headings that never skip a level; every table header says what it heads;
    # no link text that means nothing on its own.
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", body_html)]
    assert levels[:1] == [1] and levels.count(1) == 1, f"{kind}: headings {levels}"
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), f"{kind}: headings {levels}"
    assert len(re.findall(r"<th\b", body_html)) == body_html.count('scope="row"') + body_html.count('scope="col"')
    for link_text in re.findall(r"<a\b[^>]*>(.*?)</a>", body_html, flags=re.S):
        assert link_text.strip().lower() not in {"here", "click here", "this link", "link", ""}, kind


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_render_with_every_placeholder(kind, settings):
    _, body_source = rendering.default_wording(kind)
    used = rendering.check_wording(kind, body_source)
    variants = {"": sample_values(kind, **IN_PERSON)}
    if "online" in used:
        variants[".online"] = sample_values(kind, **ONLINE)
    if "in_house" in used:
        variants[".in_house"] = sample_values(kind, **IN_HOUSE)
    rendered = {}
    for suffix, values in variants.items():
        subject, text, body_html = rendered[suffix] = rendering.render(kind, values)
        assert subject and "\n" not in subject
        assert_fully_rendered(subject, text, body_html)
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
        assert body_html.count("<html") == 1 and body_html.count("</html>") == 1
        assert len(re.findall(r"<table\b", body_html)) == body_html.count("</table>")
        assert body_html.count("<ul") == body_html.count("</ul>")
        assert_accessible(kind, body_html)

        OUTPUT.mkdir(parents=True, exist_ok=True)
        (OUTPUT / f"{kind}{suffix}.html").write_text(body_html, encoding="utf-8")
        (OUTPUT / f"{kind}{suffix}.txt").write_text(f"Subject: {subject}\n\n{text}", encoding="utf-8")

    for name in used - FLAGS:
        # Each value is shown for an in-person session, an online one, or both.
        def shown(suffix, name=name):
            _, text, body_html = rendered[suffix]
            value = variants[suffix][name]
            # Plain text: the value exactly as given, newlines and all. HTML: the same content,
            # escaped, one line at a time (newlines become <br> or list items).
            return value in text and all(html.escape(line, quote=False) in body_html for line in value.splitlines())

        assert any(shown(suffix) for suffix in variants), f"{kind}: {{{{ {name} }}}} is not shown"
    if "online" in used:
        assert rendered[""][1] != rendered[".online"][1], f"{kind}: {{% if online %}} makes no difference"
    if "in_house" in used:
        assert rendered[""][1] != rendered[".in_house"][1], f"{kind}: {{% if in_house %}} makes no difference"


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
    if "other_dates" in values:
        assert "Other upcoming dates" not in text and "<li" not in body_html
    if "previous_dates" in values:
        assert "before the change" not in text.lower() and "before the change" not in body_html.lower()


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
        kind="booking_manage_link",
        subject="Booked: {{ course }} ({{ reference }}) for {{ booker_name }}",
        body_text="Dear {{ booker_name }},\n\nYour reference is {{ reference }}.\nManage it here: {{ manage_link }}\n",
    )
    values = {**sample_values("booking_manage_link"), "booker_name": "<b>Priya</b> & Sons"}
    subject, text, body_html = rendering.render("booking_manage_link", values)
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


def test_every_placeholder_has_a_sample():
    # A new placeholder without a sample would be checked against "Sample x value" only.
    assert set().union(*(kind.placeholders for kind in KINDS.values())) <= set(SAMPLES)


# What each booking email is for -------------------------------------------------------------------


def render_as_sent(kind, **overrides):
    """As booking/notifications.py sends it: every booking placeholder is passed to every kind,
    the manage link too, whether or not the kind lists it."""
    values = {**SAMPLES, **IN_PERSON, **overrides}
    return rendering.render(kind, values)


def test_the_confirmation_carries_no_manage_link_and_is_safe_to_forward():
    subject, text, body_html = render_as_sent("booking_confirmation")
    for part in (subject, text, body_html):
        assert SAMPLES["manage_link"] not in part
    assert "safe to forward to your finance team" in text
    assert "safe to forward to your finance team" in body_html
    # ... and says where the private link is instead: its own email, not to be forwarded.
    assert "separate email" in text and "do not forward" in text
    assert SAMPLES["new_link_url"] in text and f'href="{SAMPLES["new_link_url"]}"' in body_html
    with pytest.raises(rendering.WordingError, match="Unknown placeholder"):
        rendering.check_wording("booking_confirmation", "{{ manage_link }}")


@pytest.mark.parametrize("kind", BOOKING_KINDS)
def test_only_the_link_emails_and_the_po_reminder_carry_the_manage_link(kind):
    written = any("manage_link" in source for source in sources(kind).values())
    subject, text, body_html = render_as_sent(kind)
    shown = SAMPLES["manage_link"] in text or SAMPLES["manage_link"] in body_html
    if kind in MANAGE_LINK_KINDS:
        assert written and SAMPLES["manage_link"] in text and f'href="{SAMPLES["manage_link"]}"' in body_html
        assert "do not forward" in text and "do not forward" in body_html
    else:
        assert not written and not shown, f"{kind} shows the manage link"


def test_the_manage_link_email():
    subject, text, body_html = render_as_sent("booking_manage_link")
    assert subject == "Your private link to manage booking K7PX3M9Q"
    for words in (
        "add a purchase order number, substitute, add or remove delegates, or cancel",
        "please do not forward this email",
        "forward the booking confirmation instead",
        "no longer works",
        SAMPLES["new_link_url"],
    ):
        assert words in text, words
    assert ">Manage your booking</a>" in body_html


def test_the_booker_kinds_are_the_ones_labelled_booker():
    assert {kind for kind in BOOKING_KINDS if KINDS[kind].label.endswith("(booker)")} == BOOKER_KINDS


@pytest.mark.parametrize("kind", sorted(BOOKER_KINDS))
def test_every_email_to_the_booker_shows_the_total(kind):
    _, text, body_html = rendering.render(kind, sample_values(kind, **IN_PERSON))
    assert SAMPLES["total_line"] in text
    assert html.escape(SAMPLES["total_line"], quote=False) in body_html


@pytest.mark.parametrize("kind", sorted(PRICE_TABLE_KINDS))
def test_the_price_table_uses_the_vat_rate(kind):
    assert not any("20%" in source for source in sources(kind).values())
    _, text, body_html = rendering.render(kind, sample_values(kind, vat_rate="17.5%"))
    for line in (
        "Price per delegate: £150.00 + VAT",
        "Number of delegates: 3",
        "Total excluding VAT: £450.00",
        "VAT at 17.5%: £90.00",
        "Total including VAT: £540.00",
        SAMPLES["po_line"],
    ):
        assert line in text, line
    assert ">VAT at 17.5%</th>" in body_html


def test_the_booking_changed_email_says_what_changed_and_the_new_total():
    subject, text, body_html = render_as_sent("booking_changed")
    assert subject.startswith("Your booking K7PX3M9Q has changed")
    assert SAMPLES["change"] in text and "Added Jo Patel &lt;jo.patel@example.org&gt;." in body_html
    assert section(text, "DELEGATES (3)\n") == SAMPLES["delegates"]
    assert "purchase order" in text and "new total including VAT" in text
    assert "joining instructions and a calendar invite" in text


@pytest.mark.parametrize("kind", sorted(JOINING_KINDS))
def test_an_online_session_shows_how_to_join_and_no_access_and_parking(kind):
    _, text, body_html = rendering.render(kind, sample_values(kind, **ONLINE))
    assert SAMPLES["joining_link"] in text and f'href="{SAMPLES["joining_link"]}"' in body_html
    assert "access and parking" not in text.lower() and "access and parking" not in body_html.lower()

    _, text, body_html = rendering.render(kind, sample_values(kind, **ONLINE, joining_link=""))
    assert "We will email you the link to join before the course." in text
    assert "We will email you the link to join before the course." in body_html

    # In person: the venue's notes, and nothing about joining online.
    _, text, body_html = rendering.render(kind, sample_values(kind, **IN_PERSON))
    assert "access and parking" in text.lower() and "Access and parking" in body_html
    assert "join online" not in text.lower() and "Joining online" not in body_html


@pytest.mark.parametrize("kind", sorted(JOINING_KINDS))
def test_access_needs_are_what_the_booker_told_us(kind):
    _, text, body_html = rendering.render(kind, sample_values(kind))
    assert f"Your booker told us: {SAMPLES['adjustments']}" in text
    assert "Your booker told us" in body_html
    assert "You told us" not in text and "You told us" not in body_html


def test_the_joining_instructions_explain_the_calendar_invites():
    _, text, body_html = rendering.render("joining_instructions", sample_values("joining_instructions"))
    for part in (text, body_html):
        assert "This email includes a calendar invite" in part
        assert SAMPLES["further_days"] in part  # a multi-day course says where the other days are
    _, text, _html = rendering.render(
        "joining_instructions", {**sample_values("joining_instructions"), "further_days": ""}
    )
    assert "day 1 of" not in text  # a one-day course says nothing of other days


def test_a_cancelled_place_and_a_passed_on_place_are_told_apart():
    subject, text, body_html = render_as_sent("delegate_cancelled")
    assert "colleague" not in subject + text + body_html
    assert "has been cancelled" in text

    subject, text, body_html = render_as_sent("delegate_substituted")
    assert subject == "Your place on De-escalation Skills has been passed to a colleague"
    assert "do not need to attend" in text and "cancels the calendar invite" in text
    assert f"speak to {SAMPLES['booker_name']}" in text and f"speak to {SAMPLES['booker_name']}" in body_html


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("calendar_day", "Calendar invite: De-escalation Skills, day 2 of 3, Wed 4 March 2026, 09:30-16:00"),
        ("calendar_day_cancelled", "Cancelled: De-escalation Skills, day 2 of 3, Wed 4 March 2026, 09:30-16:00"),
    ],
)
def test_each_further_day_has_its_own_short_email(kind, subject):
    rendered_subject, text, body_html = render_as_sent(kind)
    assert rendered_subject == subject
    assert "day 2 of 3 of De-escalation Skills" in text and "day 2 of 3 of <strong>De-escalation Skills" in body_html
    assert ("adds" if kind == "calendar_day" else "removes") in text
    assert len(text) < 1000  # the body before the signature: a few lines


@pytest.mark.parametrize("kind", ["session_changed", "session_changed_booker"])
def test_a_session_change_shows_only_what_changed(kind):
    only_dates = "The dates or times have changed; the venue is the same."
    _, text, body_html = render_as_sent(kind, what_changed=only_dates, previous_venue="")
    # What changed comes first, before the new details.
    assert text.index(only_dates) < text.index("NEW DETAILS")
    assert html.escape(only_dates) in body_html
    before = section(text, "BEFORE THE CHANGE\n")
    assert "When:" in before and SAMPLES["previous_dates"] in before
    assert "Where:" not in before
    before_html = html_section(body_html, "Before the change")
    assert ">When</th>" in before_html and ">Where</th>" not in before_html

    _, text, body_html = render_as_sent(kind, what_changed="The venue has changed.", previous_dates="")
    before = section(text, "BEFORE THE CHANGE\n")
    assert "When:" not in before and "Where:" in before
    before_html = html_section(body_html, "Before the change")
    assert ">When</th>" not in before_html and ">Where</th>" in before_html


@pytest.mark.parametrize("kind", sorted(OTHER_DATES_KINDS))
def test_a_lost_place_links_to_other_dates(kind):
    _, text, body_html = render_as_sent(kind)
    assert SAMPLES["other_dates"] in text and SAMPLES["course_link"] in text
    for line in SAMPLES["other_dates"].splitlines():
        assert f">{line}</li>" in body_html
    assert f'<a href="{SAMPLES["course_link"]}"' in body_html and ">See all dates and book</a>" in body_html

    _, text, body_html = render_as_sent(kind, other_dates="")
    assert SAMPLES["course_link"] in text and ">See all dates and book</a>" in body_html


def test_the_po_reminder_keeps_the_time_left_as_given():
    _, text, _ = render_as_sent("po_reminder", days_left="20 hours")
    assert "Time left: 20 hours\n" in text
