"""Feedback rules: once per attendee of a completed course, ratings 1 to 5 field by field, quotes
offered only with permission, published as testimonials attributed as the delegate chose, and
the course's rating from real responses, hidden below the minimum."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape

from booking.models import SessionStatus
from courses.models import Testimonial
from records.models import AttendanceStatus, Attribution, Feedback, Moderation
from records.services.feedback import (
    FeedbackAlreadyGiven,
    course_rating,
    feedback_decline,
    feedback_publish,
    feedback_submit,
    feedback_unpublish,
)
from tests.factories import CourseFactory, SectorFactory, make_booking, make_session

from .feedback_setup import answers, completed_session, make_trainer

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    nhs = SectorFactory(name="NHS", slug="nhs")
    education = SectorFactory(name="Education & Further Learning", slug="education")
    return CourseFactory(title="De-escalation Skills", slug="de-escalation-skills", sectors=[education, nhs])


def quotable(course, attribution, role=None, **booking_fields):
    _session, (delegate,) = completed_session(course=course, **booking_fields)
    return feedback_submit(
        delegate=delegate,
        **answers(comment="Calm, practical and useful on the ward.", may_quote=True),
        attribution=attribution,
        attribution_role=role,
    )


# Submitting ------------------------------------------------------------------------------------


def test_feedback_copies_the_course_trainer_and_organisation_and_the_role_the_delegate_edited(course):
    trainer = make_trainer(course)
    session, (delegate,) = completed_session(course=course, trainer=trainer)
    feedback = feedback_submit(delegate=delegate, **answers(), attribution_role="  Senior staff nurse ")
    feedback.refresh_from_db()
    assert (feedback.session, feedback.course, feedback.trainer) == (session, course, trainer)
    assert feedback.organisation == "East Coast NHS Trust"
    assert (feedback.attribution_name, feedback.attribution_role) == ("Delegate 0", "Senior staff nurse")
    assert (feedback.content_rating, feedback.trainer_rating, feedback.relevance_rating) == (5, 4, 5)
    assert feedback.will_do_differently == "Step back and lower my voice before I say anything."
    assert feedback.moderation == Moderation.NOT_QUOTABLE


def test_the_role_defaults_to_the_one_on_the_booking(course):
    _session, (delegate,) = completed_session(course=course)
    assert feedback_submit(delegate=delegate, **answers()).attribution_role == "Nurse"


def test_feedback_is_given_once(course):
    _session, (delegate,) = completed_session(course=course)
    feedback_submit(delegate=delegate, **answers())
    with pytest.raises(FeedbackAlreadyGiven):
        feedback_submit(delegate=delegate, **answers(content_rating=1))
    assert list(Feedback.objects.values_list("content_rating", flat=True)) == [5]


def test_ratings_out_of_range_are_refused_field_by_field_and_nothing_is_saved(course):
    _session, (delegate,) = completed_session(course=course)
    with pytest.raises(ValidationError) as error:
        feedback_submit(delegate=delegate, **answers(content_rating=0, trainer_rating=6, relevance_rating="lots"))
    assert error.value.message_dict == {
        "content_rating": ["Choose a rating from 1 to 5 for the course content"],
        "trainer_rating": ["Choose a rating from 1 to 5 for the trainer"],
        "relevance_rating": ["Choose a rating from 1 to 5 for how relevant it was to your work"],
    }
    with pytest.raises(ValidationError) as error:
        feedback_submit(delegate=delegate, **answers(trainer_rating=None, comment="x" * 1001))
    assert set(error.value.message_dict) == {"trainer_rating", "comment"}
    assert not Feedback.objects.exists()
    # ... and the delegate may still give it.
    feedback_submit(delegate=delegate, **answers(trainer_rating="3"))
    assert Feedback.objects.get().trainer_rating == 3


def test_an_absent_delegate_cannot_give_feedback_but_one_who_left_early_can(course):
    _session, (absent, left_early) = completed_session(
        course=course, people=2, marks={0: AttendanceStatus.ABSENT, 1: AttendanceStatus.LEFT_EARLY}
    )
    with pytest.raises(ValidationError, match="did not attend"):
        feedback_submit(delegate=absent, **answers())
    feedback_submit(delegate=left_early, **answers())
    assert Feedback.objects.get().delegate == left_early


def test_no_feedback_before_the_course_is_completed(course):
    session = make_session(course=course, days=2)
    make_booking(session)
    (delegate,) = session.bookings.get().delegates.all()
    with pytest.raises(ValidationError, match="when the course is over"):
        feedback_submit(delegate=delegate, **answers())
    assert not Feedback.objects.exists()


def test_no_feedback_on_a_cancelled_course(course):
    session, (delegate,) = completed_session(course=course)
    session.status = SessionStatus.CANCELLED
    session.save(update_fields=["status"])
    with pytest.raises(ValidationError, match="cancelled"):
        feedback_submit(delegate=delegate, **answers())


@pytest.mark.parametrize(
    ("may_quote", "comment", "moderation"),
    [
        (True, "Brilliant day.", Moderation.PENDING),
        (True, "   ", Moderation.NOT_QUOTABLE),
        (False, "Brilliant day.", Moderation.NOT_QUOTABLE),
    ],
)
def test_a_quote_waits_for_moderation_only_with_permission_and_a_comment(course, may_quote, comment, moderation):
    _session, (delegate,) = completed_session(course=course)
    feedback = feedback_submit(delegate=delegate, **answers(may_quote=may_quote, comment=comment))
    assert feedback.moderation == moderation


def test_quoting_by_role_needs_a_role(course):
    _session, (delegate,) = completed_session(course=course)
    with pytest.raises(ValidationError) as error:
        feedback_submit(
            delegate=delegate,
            **answers(may_quote=True, comment="Good."),
            attribution=Attribution.ROLE,
            attribution_role="",
        )
    assert error.value.message_dict == {"attribution_role": ["Enter your job role, or choose to be quoted anonymously"]}


# Publishing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribution", "role", "organisation"),
    [
        (Attribution.NAME_AND_ROLE, "Delegate 0, Ward manager", "East Coast NHS Trust"),
        (Attribution.ROLE, "Ward manager", ""),
        (Attribution.ANONYMOUS, "A delegate on De-escalation Skills", ""),
    ],
)
def test_publishing_makes_a_testimonial_attributed_as_the_delegate_chose(
    client, course, attribution, role, organisation
):
    feedback = quotable(course, attribution, role="Ward manager")
    testimonial = feedback_publish(feedback=feedback, actor="amy")
    assert (testimonial.attribution_role, testimonial.attribution_organisation) == (role, organisation)
    assert testimonial.quote == "Calm, practical and useful on the ward."
    assert testimonial.course == course and testimonial.is_published
    # The booking is an NHS trust's: the course's NHS sector, not its first one.
    assert testimonial.sector.slug == "nhs"
    feedback.refresh_from_db()
    assert feedback.moderation == Moderation.PUBLISHED and feedback.testimonial == testimonial

    for url in (course.get_absolute_url(), testimonial.sector.get_absolute_url()):
        page = client.get(url).content.decode()
        assert escape(testimonial.quote) in page, url
        assert escape(role) in page, url
        assert ("East Coast NHS Trust" in page) == bool(organisation), url


def test_staff_may_correct_the_words_and_choose_the_sector(course):
    feedback = quotable(course, Attribution.ROLE, role="Teacher", organisation_type="education")
    other = SectorFactory(name="Transport", slug="transport")
    testimonial = feedback_publish(feedback=feedback, quote="  Calm and practical.  ", sector=other, actor="amy")
    assert (testimonial.quote, testimonial.sector) == ("Calm and practical.", other)
    with pytest.raises(ValidationError):
        feedback_publish(feedback=feedback, actor="amy")  # published already
    assert Testimonial.objects.count() == 1


def test_the_default_sector_follows_the_organisation_type_and_may_be_none(course):
    feedback = quotable(course, Attribution.ROLE, role="Teacher", organisation_type="education")
    assert feedback_publish(feedback=feedback, actor="amy").sector.slug == "education"
    feedback = quotable(course, Attribution.ROLE, role="Driver", organisation_type="transport")
    assert feedback_publish(feedback=feedback, actor="amy").sector is None


def test_an_empty_quote_is_refused(course):
    feedback = quotable(course, Attribution.ANONYMOUS)
    with pytest.raises(ValidationError) as error:
        feedback_publish(feedback=feedback, quote=" ", actor="amy")
    assert "quote" in error.value.message_dict
    feedback.refresh_from_db()
    assert feedback.moderation == Moderation.PENDING and not Testimonial.objects.exists()


def test_only_quotes_awaiting_moderation_are_published_or_declined(course):
    _session, (delegate,) = completed_session(course=course)
    not_quotable = feedback_submit(delegate=delegate, **answers(comment="Good."))
    with pytest.raises(ValidationError, match="awaiting moderation"):
        feedback_publish(feedback=not_quotable, actor="amy")

    declined = feedback_decline(feedback=quotable(course, Attribution.ROLE, role="Porter"), actor="amy")
    assert declined.moderation == Moderation.DECLINED
    with pytest.raises(ValidationError, match="awaiting moderation"):
        feedback_publish(feedback=declined, actor="amy")
    assert not Testimonial.objects.exists()


def test_unpublishing_takes_the_testimonial_down_and_back_to_moderation(client, course):
    feedback = quotable(course, Attribution.ROLE, role="Porter")
    testimonial = feedback_publish(feedback=feedback, actor="amy")
    feedback_unpublish(feedback=feedback, actor="amy")
    feedback.refresh_from_db()
    assert feedback.moderation == Moderation.PENDING and feedback.testimonial is None
    assert not Testimonial.objects.filter(pk=testimonial.pk).exists()
    assert escape(testimonial.quote) not in client.get(course.get_absolute_url()).content.decode()


# The course's rating ---------------------------------------------------------------------------


def give(course, *ratings):
    """One response per (content, trainer, relevance), on one completed session."""
    session, delegates = completed_session(course=course, people=len(ratings))
    for delegate, (content, trainer, relevance) in zip(delegates, ratings, strict=True):
        feedback_submit(
            delegate=delegate,
            **answers(content_rating=content, trainer_rating=trainer, relevance_rating=relevance),
        )


def test_the_rating_is_hidden_below_five_responses(course):
    assert course_rating(course) == (None, 0) and not course_rating(course).shown
    give(course, (5, 5, 5), (4, 4, 4), (3, 4, 5), (5, 4, 3))
    rating = course_rating(course)
    assert rating.count == 4 and not rating.shown


def test_the_rating_is_the_mean_of_each_responses_average(course, settings):
    # Averages 5, 4, 4, 4 and 14/3: a mean of 65/15 = 4.33...
    give(course, (5, 5, 5), (4, 4, 4), (3, 4, 5), (5, 4, 3), (5, 5, 4))
    give(CourseFactory(), (1, 1, 1))  # another course's feedback does not count
    rating = course_rating(course)
    assert rating == (Decimal("4.3"), 5) and rating.shown
    settings.FEEDBACK_MIN_RESPONSES_SHOWN = 6
    assert not course_rating(course).shown


def test_the_course_page_shows_the_rating_from_five_responses(client, course):
    give(course, (5, 5, 5), (4, 4, 4), (3, 4, 5), (5, 4, 3))
    page = client.get(course.get_absolute_url()).content.decode()
    assert "data-course-rating" not in page and "out of 5" not in page
    give(course, (5, 5, 4))
    page = client.get(course.get_absolute_url()).content.decode()
    assert "<strong>Rated 4.3 out of 5</strong> by 5 delegates" in page
