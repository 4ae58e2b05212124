"""`{% course_rating course %}`: "Rated 4.6 out of 5 by 23 delegates", from the course's real
feedback, for its page. Renders nothing below FEEDBACK_MIN_RESPONSES_SHOWN responses."""

from django import template

from records.services.feedback import course_rating as rating_of

register = template.Library()


@register.inclusion_tag("records/_course_rating.html")
def course_rating(course):
    rating = rating_of(course)
    return {"rating": rating if rating.shown else None}
