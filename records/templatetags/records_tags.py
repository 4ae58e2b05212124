"""Records in other rooms' templates.

`{% course_rating course %}`: "Rated 4.6 out of 5 by 23 delegates", from the course's real
feedback, for its page; nothing below FEEDBACK_MIN_RESPONSES_SHOWN responses.
`{% training_record_path booking %}`: the booker's link to their organisation's record.
"""

from django import template
from django.urls import reverse

from records import links
from records.services.feedback import course_rating as rating_of

register = template.Library()


@register.inclusion_tag("records/_course_rating.html")
def course_rating(course):
    rating = rating_of(course)
    return {"rating": rating if rating.shown else None}


@register.simple_tag
def training_record_path(booking):
    """The booker's private link to their organisation's training record (the manage page)."""
    return reverse("records:training_record", args=[links.training_record_token(booking)])
