"""After-the-course rules, shared by the trainer's page, the admin, the tasks and the tests."""

from .attendance import (
    attendance_link_renew,
    attendance_mark,
    attendance_marks,
    attendance_missing,
    attendance_open_sessions,
    day_can_be_marked,
    session_delegates,
)
from .certificates import Status, certificate_issue, certificate_status, expiry_for, normalise_number
from .feedback import (
    CourseRating,
    FeedbackAlreadyGiven,
    course_rating,
    feedback_decline,
    feedback_publish,
    feedback_refusal,
    feedback_submit,
    feedback_unpublish,
)
from .reminders import refresher_reminders_send

__all__ = [
    "attendance_link_renew",
    "CourseRating",
    "FeedbackAlreadyGiven",
    "course_rating",
    "feedback_decline",
    "feedback_publish",
    "feedback_refusal",
    "feedback_submit",
    "feedback_unpublish",
    "Status",
    "attendance_mark",
    "attendance_marks",
    "attendance_missing",
    "attendance_open_sessions",
    "certificate_issue",
    "certificate_status",
    "day_can_be_marked",
    "expiry_for",
    "normalise_number",
    "refresher_reminders_send",
    "session_delegates",
]
