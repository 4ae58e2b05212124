"""The feedback survey in a real browser on a phone (390 px): filled in with the keyboard only
and sent with Enter, axe-clean, no sideways scroll; then the course page shows its rating once
five delegates have answered."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from records import links
from records.models import Attribution, Feedback, Moderation
from records.services.feedback import feedback_submit
from tests.e2e.conftest import PHONE, axe_violations, screenshot
from tests.factories import CourseFactory

from .feedback_setup import answers, completed_session, make_trainer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_no_sideways_scroll(page, where):
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{where} scrolls sideways: {sizes}"


def choose(page, group_first_radio, rating):
    """In a rating group with nothing chosen yet: Space chooses 1, each right arrow one more."""
    page.keyboard.press("Space")
    for _ in range(rating - 1):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"#{group_first_radio[:-1]}{rating - 1}")).to_be_checked()


def test_a_delegate_gives_feedback_with_the_keyboard_and_the_course_page_shows_the_rating_from_five(page, live_server):
    course = CourseFactory(title="De-escalation Skills", slug="de-escalation-skills")
    trainer = make_trainer(course, "Jo Trainer")
    _session, (delegate,) = completed_session(course=course, trainer=trainer)

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("records:feedback", args=[links.feedback_token(delegate)]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your feedback on De-escalation Skills")
    expect(page.get_by_role("group", name="How good was the trainer, Jo Trainer?")).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, "the survey")
    screenshot(page, "feedback-survey-390")

    # Into the first rating group; from there on, only keys.
    page.locator("#id_content_rating_0").focus()
    choose(page, "id_content_rating_0", 4)
    page.keyboard.press("Tab")
    choose(page, "id_trainer_rating_0", 5)
    page.keyboard.press("Tab")
    choose(page, "id_relevance_rating_0", 5)
    page.keyboard.press("Tab")
    expect(page.get_by_label("What will you do differently at work? (optional)")).to_be_focused()
    page.keyboard.type("Slow down and give people space.")
    page.keyboard.press("Tab")
    page.keyboard.type("Practical, calm and useful from the first hour.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Yes, you may quote my comment on your website")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # into the attribution group, on the choice made (job role only)
    page.keyboard.press("ArrowUp")  # name, job role and organisation
    expect(page.get_by_role("radio", name=re.compile("^My name, job role and organisation"))).to_be_checked()
    page.keyboard.press("Tab")
    role = page.get_by_label("Your job role, as we would show it")
    expect(role).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Ward manager")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    expect(page.get_by_role("status")).to_contain_text("we have your feedback on De-escalation Skills")
    assert axe_violations(page) == []
    screenshot(page, "feedback-thanks-390")
    feedback = Feedback.objects.get()
    assert (feedback.content_rating, feedback.trainer_rating, feedback.relevance_rating) == (4, 5, 5)
    assert feedback.comment == "Practical, calm and useful from the first hour."
    assert (feedback.attribution, feedback.attribution_role) == (Attribution.NAME_AND_ROLE, "Ward manager")
    assert feedback.moderation == Moderation.PENDING

    # One response: the course page shows no rating. Five: it does, in words.
    page.goto(live_server.url + course.get_absolute_url())
    expect(page.get_by_text(re.compile("out of 5"))).to_have_count(0)
    _session, others = completed_session(course=course, people=4)
    for other in others:
        feedback_submit(delegate=other, **answers(content_rating=5, trainer_rating=5, relevance_rating=5))
    page.reload()
    # (4+5+5) / 3 and four 5s: 74 / 15 = 4.93
    expect(page.locator("[data-course-rating]")).to_have_text(re.compile(r"^Rated 4\.9 out of 5 by 5 delegates"))
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, "the course page")
    screenshot(page, "feedback-course-rating-390")
