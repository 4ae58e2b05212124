"""Delegates' feedback after the course, their quotes moderated into testimonials, and a
course's rating from real responses.

Each attendee gives feedback once, from the link in their feedback_request email. A comment
they let us quote waits for staff (PENDING); publishing it makes a courses.Testimonial on its
course (and a sector), attributed as the delegate chose:

- name and job role: "Sam Patel, Ward manager", with their organisation beside it (the form
  shows them exactly that before they choose it);
- job role only: "Ward manager", no organisation (with a small organisation a role and a name
  of employer can identify a person, which is what they chose not to be);
- anonymous: "A delegate on <course>", nothing else.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone

from booking.models import Delegate, SessionStatus
from courses.models import Testimonial

from ..models import Attendance, AttendanceStatus, Attribution, Feedback, Moderation

RATINGS = {
    "content_rating": "the course content",
    "trainer_rating": "the trainer",
    "relevance_rating": "how relevant it was to your work",
}
TEXT_LIMITS = {
    "will_do_differently": ("What you will do differently", 2000),
    "comment": ("Your comment", 1000),
    "attribution_role": ("Your job role", 150),
}
__all__ = [
    "CourseRating",
    "FeedbackAlreadyGiven",
    "attribution_preview",
    "course_rating",
    "default_sector",
    "feedback_decline",
    "feedback_publish",
    "feedback_refusal",
    "feedback_submit",
    "feedback_unpublish",
]
ROLE_MAX = Testimonial._meta.get_field("attribution_role").max_length
ORGANISATION_MAX = Testimonial._meta.get_field("attribution_organisation").max_length


class FeedbackAlreadyGiven(ValidationError):
    """The delegate has given feedback already: the page thanks them instead of asking again."""


def feedback_refusal(delegate):
    """Why this delegate cannot give feedback (a sentence for them), or None if they can."""
    if hasattr(delegate, "feedback"):
        return "You have already given feedback on this course. Thank you."
    session = delegate.booking.session
    if session.status == SessionStatus.CANCELLED:
        return "This course was cancelled, so there is no feedback to give."
    if session.completed_at is None:
        return "The survey opens when the course is over and the trainer has taken attendance."
    if not Attendance.objects.filter(delegate=delegate).exclude(status=AttendanceStatus.ABSENT).exists():
        return (
            "Our records show you did not attend this course, so there is no feedback to give. "
            "If that is wrong, please call us."
        )
    return None


def _clean_rating(value):
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 5 else None


def attribution_preview(*, choice, name, role, organisation, course_title):
    """(role line, organisation) as a testimonial will show them for this choice."""
    role, name = (role or "").strip(), (name or "").strip()
    if choice == Attribution.NAME_AND_ROLE:
        line, org = ", ".join(part for part in [name, role] if part), organisation
    elif choice == Attribution.ROLE:
        line, org = role, ""
    else:
        line, org = f"A delegate on {course_title}", ""
    return _shorten(line or f"A delegate on {course_title}", ROLE_MAX), _shorten(org or "", ORGANISATION_MAX)


def _shorten(text, limit):
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,") + "…"


@transaction.atomic
def feedback_submit(
    *,
    delegate,
    content_rating,
    trainer_rating,
    relevance_rating,
    will_do_differently="",
    comment="",
    may_quote=False,
    attribution=Attribution.ROLE,
    attribution_role=None,
    now=None,
):
    """Record the delegate's feedback, once. Refused whole, with a message per field, when
    anything is wrong; FeedbackAlreadyGiven when they gave it before."""
    delegate = Delegate.objects.select_for_update(of=("self",)).select_related("booking__session").get(pk=delegate.pk)
    if Feedback.objects.filter(delegate=delegate).exists():
        raise FeedbackAlreadyGiven("You have already given feedback on this course. Thank you.")
    refusal = feedback_refusal(delegate)
    if refusal:
        raise ValidationError(refusal)

    given = {"content_rating": content_rating, "trainer_rating": trainer_rating, "relevance_rating": relevance_rating}
    errors, ratings = {}, {}
    for field, words in RATINGS.items():
        ratings[field] = _clean_rating(given[field])
        if ratings[field] is None:
            errors[field] = f"Choose a rating from 1 to 5 for {words}"
    texts = {
        "will_do_differently": (will_do_differently or "").strip(),
        "comment": (comment or "").strip(),
        "attribution_role": (delegate.job_role if attribution_role is None else attribution_role or "").strip(),
    }
    for field, (label, limit) in TEXT_LIMITS.items():
        if len(texts[field]) > limit:
            errors[field] = f"{label} must be {limit:,} characters or fewer (it has {len(texts[field]):,})"
    may_quote = bool(may_quote)
    if attribution not in Attribution.values:
        errors["attribution"] = "Choose how we should name you if we quote you"
    elif may_quote and attribution == Attribution.ROLE and not texts["attribution_role"]:
        errors["attribution_role"] = "Enter your job role, or choose to be quoted anonymously"
    if errors:
        raise ValidationError(errors)

    session = delegate.booking.session
    feedback = Feedback(
        delegate=delegate,
        session=session,
        course_id=session.course_id,
        trainer_id=session.trainer_id,
        **ratings,
        will_do_differently=texts["will_do_differently"],
        comment=texts["comment"],
        may_quote=may_quote,
        attribution=attribution,
        attribution_name=delegate.name,
        attribution_role=texts["attribution_role"],
        organisation=delegate.booking.organisation,
        moderation=Moderation.PENDING if may_quote and texts["comment"] else Moderation.NOT_QUOTABLE,
        submitted_at=now or timezone.now(),
    )
    feedback.full_clean()
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError as exc:  # the same form sent twice at once
        raise FeedbackAlreadyGiven("You have already given feedback on this course. Thank you.") from exc
    return feedback


def default_sector(feedback):
    """The course's sector that matches the booking's type of organisation ("nhs" -> NHS,
    "care" -> Health & Social Care, "local_authority" -> Local Authority & Housing), or None."""
    delegate = feedback.delegate
    kind = delegate.booking.organisation_type if delegate else ""
    words = [word for word in kind.split("_") if word and word != "other"]
    if not words:
        return None
    for sector in feedback.course.sectors.filter(is_active=True):
        slug_parts = sector.slug.split("-")
        if any(word in slug_parts or word in sector.name.lower() for word in words):
            return sector
    return None


def _locked(feedback):
    # Only the feedback row: PostgreSQL cannot lock the empty side of the testimonial outer join.
    return Feedback.objects.select_for_update(of=("self",)).select_related("course", "testimonial").get(pk=feedback.pk)


def _refuse_unless_pending(feedback, doing):
    if feedback.moderation != Moderation.PENDING:
        state = Moderation(feedback.moderation).label.lower()
        raise ValidationError(f"Only quotes awaiting moderation can be {doing}: this one is “{state}”.")


@transaction.atomic
def feedback_publish(*, feedback, sector=None, quote=None, actor):
    """Publish the delegate's comment as a testimonial on its course and `sector` (by default
    the course's sector matching the booking's organisation type). Staff may tidy the words
    (`quote`); the attribution is the one the delegate chose."""
    feedback = _locked(feedback)
    _refuse_unless_pending(feedback, "published")
    text = (feedback.comment if quote is None else quote).strip()
    if not text:
        raise ValidationError({"quote": "Enter the words to quote."})
    if sector is None:
        sector = default_sector(feedback)
    role, organisation = attribution_preview(
        choice=feedback.attribution,
        name=feedback.attribution_name,
        role=feedback.attribution_role,
        organisation=feedback.organisation,
        course_title=feedback.course.title,
    )
    testimonial = Testimonial(
        quote=text,
        attribution_role=role,
        attribution_organisation=organisation,
        course=feedback.course,
        sector=sector,
        is_published=True,
    )
    testimonial.full_clean()
    testimonial.save()
    feedback.testimonial, feedback.moderation = testimonial, Moderation.PUBLISHED
    feedback.save(update_fields=["testimonial", "moderation"])
    return testimonial


@transaction.atomic
def feedback_decline(*, feedback, actor):
    """Leave the quote unpublished: it leaves the moderation list; the ratings still count."""
    feedback = _locked(feedback)
    _refuse_unless_pending(feedback, "declined")
    feedback.moderation = Moderation.DECLINED
    feedback.save(update_fields=["moderation"])
    return feedback


@transaction.atomic
def feedback_unpublish(*, feedback, actor):
    """Take a published quote down: its testimonial is deleted and the quote goes back to the
    moderation list."""
    feedback = _locked(feedback)
    if feedback.moderation != Moderation.PUBLISHED:
        raise ValidationError("Only a published quote can be taken down.")
    if feedback.testimonial is not None:
        feedback.testimonial.delete()
    feedback.testimonial, feedback.moderation = None, Moderation.PENDING
    feedback.save(update_fields=["testimonial", "moderation"])
    return feedback


class CourseRating(NamedTuple):
    average: Decimal | None  # the mean of each response's average of its three ratings, 1 decimal
    count: int

    @property
    def shown(self):
        return self.count >= settings.FEEDBACK_MIN_RESPONSES_SHOWN


def course_rating(course):
    """CourseRating(average, count) from the course's real feedback; `shown` says whether there
    are enough responses to show it."""
    totals = Feedback.objects.filter(course=course).aggregate(
        count=Count("pk"),
        content=Sum("content_rating"),
        trainer=Sum("trainer_rating"),
        relevance=Sum("relevance_rating"),
    )
    count = totals["count"]
    if not count:
        return CourseRating(None, 0)
    # Every response has all three ratings, so the mean of the means is the sum over 3n, exactly.
    total = totals["content"] + totals["trainer"] + totals["relevance"]
    average = (Decimal(total) / Decimal(3 * count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return CourseRating(average, count)


RESULT_RATINGS = {
    "responses": Count("pk"),
    "content_avg": Avg("content_rating"),
    "trainer_avg": Avg("trainer_rating"),
    "relevance_avg": Avg("relevance_rating"),
}


def _with_average(row):
    """The mean of a group's three average ratings (each response has all three)."""
    parts = [row["content_avg"], row["trainer_avg"], row["relevance_avg"]]
    row["average"] = sum(parts) / 3 if all(part is not None for part in parts) else None
    return row


def feedback_results(queryset=None):
    """Responses and average ratings overall and by course, trainer and session (the admin's
    results page): a few grouped queries, whatever the number of responses."""
    queryset = queryset if queryset is not None else Feedback.objects.all()

    def grouped(*fields, order):
        return [_with_average(row) for row in queryset.values(*fields).annotate(**RESULT_RATINGS).order_by(*order)]

    return {
        "overall": _with_average(queryset.aggregate(**RESULT_RATINGS)),
        "by_course": grouped("course", "course__title", order=["course__title"]),
        "by_trainer": grouped("trainer", "trainer__name", order=["trainer__name"]),
        "by_session": grouped(
            "session", "session__starts_at", "course__title", "trainer__name", order=["-session__starts_at"]
        ),
    }
