"""The feedback survey from the delegate's link: the form, its errors, the thank-you page, a
second visit, and links that do not (or do not yet) lead to a survey."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from records import links
from records.models import AttendanceStatus, Attribution, Feedback, Moderation
from tests.factories import CourseFactory, make_booking, make_session

from .feedback_setup import completed_session, make_trainer

pytestmark = pytest.mark.django_db

GOOD = {
    "content_rating": "5",
    "trainer_rating": "4",
    "relevance_rating": "5",
    "will_do_differently": "Give people more space and time.",
    "comment": "Practical and calm: every ward should do it.",
    "may_quote": "on",
    "attribution": Attribution.NAME_AND_ROLE,
    "attribution_role": "Ward manager",
}


def url(delegate):
    return reverse("records:feedback", args=[links.feedback_token(delegate)])


@pytest.fixture
def delegate():
    course = CourseFactory(title="De-escalation Skills")
    _session, (delegate,) = completed_session(course=course, trainer=make_trainer(course, "Jo Trainer"))
    return delegate


def test_the_survey_asks_three_ratings_in_fieldsets_and_offers_the_attribution_as_it_would_read(client, delegate):
    response = client.get(url(delegate))
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow" and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert '<h1 class="mb-2">Your feedback on De-escalation Skills</h1>' in page
    legends = re.findall(r"<legend[^>]*>\s*(.*?)\s*</legend>", page, flags=re.S)
    assert legends[:3] == [
        "How good was the course content?",
        "How good was the trainer, Jo Trainer?",
        "How relevant was the course to your work?",
    ]
    for value, label in [(1, "1 Poor"), (5, "5 Excellent")]:
        assert f'value="{value}" class="btn-check" id="id_content_rating_{value - 1}"' in page
        assert f'for="id_content_rating_{value - 1}">{label}</label>' in page
    assert "What will you do differently at work?" in page
    assert "Would you tell others about the course?" in page
    assert "Yes, you may quote my comment on your website" in page
    # Each way of being named, shown as it would read, from the booking's details.
    assert "(Delegate 0, Nurse, East Coast NHS Trust)" in page
    assert 'My job role only <span class="text-secondary">(Nurse)</span>' in page
    assert "(A delegate on De-escalation Skills)" in page
    assert 'name="attribution_role" value="Nurse"' in page


def test_giving_feedback_redirects_to_thanks_and_a_second_visit_says_it_was_given(client, delegate):
    response = client.post(url(delegate), GOOD)
    thanks = reverse("records:feedback_thanks", args=[links.feedback_token(delegate)])
    assert response.status_code == 302 and response["Location"] == thanks
    feedback = Feedback.objects.get()
    assert (feedback.content_rating, feedback.trainer_rating, feedback.relevance_rating) == (5, 4, 5)
    assert feedback.attribution_role == "Ward manager" and feedback.moderation == Moderation.PENDING

    page = client.get(thanks).content.decode()
    assert "we have your feedback on De-escalation Skills" in page
    assert "reads every comment before it appears" in page

    # Later: the link (form or thanks) says it was given, and a second post changes nothing.
    for later in (client.get(url(delegate), follow=True), client.get(thanks)):
        assert "You already gave feedback on De-escalation Skills" in later.content.decode()
    response = client.post(url(delegate), {**GOOD, "content_rating": "1"}, follow=True)
    assert "You already gave feedback" in response.content.decode()
    assert list(Feedback.objects.values_list("content_rating", flat=True)) == [5]


def test_errors_are_listed_at_the_top_and_beside_each_field_and_nothing_is_saved(client, delegate):
    response = client.post(
        url(delegate),
        {
            **GOOD,
            "content_rating": "7",
            "trainer_rating": "",
            "attribution": Attribution.ROLE,
            "attribution_role": "",
            "comment": "x" * 1001,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: " in page
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert re.findall(r'href="#([^"]+)">([^<]+)<', summary) == [
        ("id_content_rating_0", "Choose a rating from 1 to 5 for the course content"),
        ("id_trainer_rating_0", "Choose a rating from 1 to 5 for the trainer"),
        ("id_comment", "Your comment must be 1,000 characters or fewer"),
        ("id_attribution_role", "Enter your job role, or choose to be quoted anonymously"),
    ]
    assert 'aria-describedby="id_content_rating_error"' in page
    # What was typed is kept; the valid rating stays chosen.
    assert re.search(r'name="relevance_rating" value="5"[^>]*checked', page)
    assert "x" * 1001 in page
    assert not Feedback.objects.exists()


def test_a_bad_or_altered_link_is_not_found(client, delegate):
    token = links.feedback_token(delegate)
    for bad in ("nonsense", token[:-2] + "xx", links.attendance_token(delegate.booking.session)):
        assert client.get(reverse("records:feedback", args=[bad])).status_code == 404
        assert client.get(reverse("records:feedback_thanks", args=[bad])).status_code == 404
    assert client.post(reverse("records:feedback", args=["nonsense"]), GOOD).status_code == 404


def test_before_the_course_is_over_the_page_says_so(client):
    session = make_session(course=CourseFactory())
    make_booking(session)
    delegate = session.bookings.get().delegates.get()
    for response in (client.get(url(delegate)), client.post(url(delegate), GOOD)):
        assert response.status_code == 200
        assert "The survey opens when the course is over" in response.content.decode()
        assert "<form" not in response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    assert not Feedback.objects.exists()
    # The thanks page has nothing to thank for: back to the survey's page.
    thanks = reverse("records:feedback_thanks", args=[links.feedback_token(delegate)])
    assert client.get(thanks)["Location"] == url(delegate)


def test_an_absent_delegate_is_told_there_is_nothing_to_give(client):
    _session, (delegate,) = completed_session(marks={0: AttendanceStatus.ABSENT})
    response = client.post(url(delegate), GOOD)
    assert "you did not attend this course" in response.content.decode()
    assert not Feedback.objects.exists()


def test_text_from_the_delegate_is_escaped(client):
    _session, (delegate,) = completed_session(course=CourseFactory(title="De-escalation <Skills>"))
    page = client.get(url(delegate)).content.decode()
    assert escape("De-escalation <Skills>") in page and "<Skills>" not in page
