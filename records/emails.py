"""The emails of the course's end: the trainer's attendance link, the booker's attendance
summary, each certificate, and the feedback request. Their kinds and placeholders, and
queueing them through the outbox in the caller's transaction (sent after commit, once: each
has a unique key). The refresher reminders' kinds are in reminder_emails.py.
"""

import re

from django.conf import settings

from booking import notifications
from booking.emails import dates_text, session_days
from core.templatetags.uk import uk_date
from outbox import registry
from outbox.services import Email

from . import links
from .models import AttendanceStatus

SESSION = {
    "course": "The course title",
    "session_dates": "The course's dates and times, one day a line",
    "venue": "Where it was held",
}
KINDS = {
    "attendance_link": (
        "Attendance link (trainer)",
        {
            **SESSION,
            "trainer_name": "The trainer's name",
            "attendance_url": "The trainer's private link to take attendance on their phone",
            "delegate_count": "How many people are booked",
        },
    ),
    "attendance_summary": (
        "Who attended, after the course (booker)",
        {
            **SESSION,
            "booker_name": "The booker's name",
            "reference": "The booking reference",
            "organisation": "The booker's organisation",
            "attendance_list": "Each delegate and their attendance, one a line",
            "certificate_count": "How many delegates received a certificate",
            "training_record_url": "The booker's private link to their organisation's training record",
        },
    ),
    "certificate_issued": (
        "Certificate, with its PDF (delegate)",
        {
            **SESSION,
            "delegate_name": "The name on the certificate",
            "certificate_number": "The certificate number, for example 7K3M-9QXP-2H4D",
            "completed_on": "The date the course was completed",
            "expires_on": "The date the certificate expires (blank if it does not)",
            "accreditation": "The course's accreditation (blank if none)",
            "certificate_url": "The link to download the certificate",
            "verify_url": "The public page where anyone can check the certificate",
        },
    ),
    "feedback_request": (
        "Feedback survey, after the course (attendee)",
        {
            **SESSION,
            "delegate_name": "The attendee's name",
            "trainer_name": "The trainer's name (blank if none was named)",
            "feedback_url": "The attendee's private link to the survey",
        },
    ),
}

for _name, (_label, _placeholders) in KINDS.items():
    registry.register(_name, _label, _placeholders)

# The private links of this room, as they appear in emails: each lets its holder act (mark
# attendance, answer as the delegate, read the organisation's record, book as the delegate).
_PRIVATE_LINKS = re.compile(
    r"(/(?:attendance|feedback|training-record|certificates)/)(?!verify/)[^/\s\"'<>]+(/)|([?&]prefill=)[^&\s\"'<>]+"
)


@registry.register_mask
def mask_tokens(text):
    """The text without this room's private tokens, for staff who may read emails but not act."""
    return _PRIVATE_LINKS.sub(lambda m: f"{m[1]}[private link hidden]{m[2]}" if m[1] else f"{m[3]}[hidden]", text or "")


def session_placeholders(session):
    venue = session.venue
    return {
        "course": session.course.title,
        "session_dates": dates_text(session_days(session)),
        "venue": "Online" if venue.is_online else str(venue),
    }


def attendance_line(delegate, days, marks):
    """ "Sam Patel: attended" or, over days, "Sam Patel: day 1 attended, day 2 left early"."""
    statuses = [AttendanceStatus(marks[delegate.pk, day.pk]).label.lower() for day in days]
    if len(set(statuses)) == 1:
        return f"{delegate.name}: {statuses[0]}"
    return f"{delegate.name}: " + ", ".join(f"day {n} {status}" for n, status in enumerate(statuses, 1))


def attendance_link_key(session):
    """Once per link: a new trainer or a renewed link sends again."""
    return f"attendance_link:{session.pk}:{session.attendance_key}:{session.trainer_id}"


def queue_attendance_link(session):
    """The trainer's link, once per session (a new key sends a new one)."""
    if notifications.is_suppressed() or session.trainer is None or not session.trainer.email:
        return 0
    from .services import session_delegates

    notifications.queue(
        [
            Email(
                kind="attendance_link",
                to=[session.trainer.email],
                unique_key=attendance_link_key(session),
                placeholders={
                    **session_placeholders(session),
                    "trainer_name": session.trainer.name,
                    "attendance_url": links.attendance_url(session),
                    "delegate_count": str(session_delegates(session).count()),
                },
                reply_to=[settings.PROVIDER["email"]],
            )
        ]
    )
    return 1


def queue_completion(session, delegates, marks, issued, *, first_time):
    """On completion: each booker hears who attended; each attendee is asked for feedback; each
    new certificate is emailed. A correction afterwards only sends the certificates it issued."""
    if notifications.is_suppressed():
        return
    days = list(session.days.all())
    common = session_placeholders(session)
    out = [certificate_email(certificate) for certificate in issued]
    if first_time:
        by_booking = {}
        for delegate in delegates:
            by_booking.setdefault(delegate.booking, []).append(delegate)
        for booking, people in by_booking.items():
            out.append(_summary_email(booking, people, days, marks, common))
        trainer = session.trainer.name if session.trainer else ""
        for delegate in delegates:
            if any(marks[delegate.pk, day.pk] != AttendanceStatus.ABSENT for day in days):
                out.append(
                    Email(
                        kind="feedback_request",
                        to=[delegate.email],
                        unique_key=f"feedback_request:{delegate.pk}",
                        placeholders={
                            **common,
                            "delegate_name": delegate.name,
                            "trainer_name": trainer,
                            "feedback_url": links.feedback_url(delegate),
                        },
                        booking=delegate.booking,
                        reply_to=[settings.PROVIDER["email"]],
                    )
                )
    notifications.queue(out)


def _summary_email(booking, people, days, marks, common):
    earned = [d for d in people if all(marks[d.pk, day.pk] == AttendanceStatus.ATTENDED for day in days)]
    return Email(
        kind="attendance_summary",
        to=[booking.contact_email],
        unique_key=f"attendance_summary:{booking.pk}",
        placeholders={
            **common,
            "booker_name": booking.contact_name,
            "reference": booking.reference,
            "organisation": booking.organisation,
            "attendance_list": "\n".join(attendance_line(d, days, marks) for d in people),
            "certificate_count": str(len(earned)),
            "training_record_url": links.training_record_url(booking),
        },
        html_context={
            "rows": [
                {
                    "name": d.name,
                    "attendance": attendance_line(d, days, marks).partition(": ")[2],
                    "certificate": d in earned,
                }
                for d in people
            ]
        },
        booking=booking,
        reply_to=[settings.PROVIDER["email"]],
    )


def certificate_email(certificate, *, unique_key=None):
    """The certificate_issued email; with `unique_key`, a resend from the admin."""
    session = certificate.session
    common = session_placeholders(session) if session else {"session_dates": "", "venue": ""}
    return Email(
        kind="certificate_issued",
        to=[certificate.holder_email],
        unique_key=unique_key or f"certificate_issued:{certificate.number}",
        placeholders={
            **common,
            # As printed on the certificate, whatever the catalogue calls the course now.
            "course": certificate.course_title,
            "delegate_name": certificate.holder_name,
            "certificate_number": certificate.number,
            "completed_on": uk_date(certificate.completed_on),
            "expires_on": uk_date(certificate.expires_on),
            "accreditation": certificate.accreditation,
            "certificate_url": links.certificate_url(certificate),
            "verify_url": links.verify_url(certificate),
        },
        attachments=[registry.document_attachment(f"certificate:{certificate.pk}", certificate.filename)],
        booking=certificate.delegate.booking if certificate.delegate else None,
        reply_to=[settings.PROVIDER["email"]],
    )
