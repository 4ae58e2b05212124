"""Calendar invites (.ics, RFC 5545 / iTIP RFC 5546) for delegates: one event per day of a session.

`invite()` gives the text of one day's message, `invite_attachment()` the attachment dict the
outbox sends as an iMIP text/calendar body part with its METHOD (RFC 6047). Each event's UID is
stable for attendee + session + day, so a later REQUEST with a higher SEQUENCE moves the event in
the attendee's calendar and a CANCEL removes it.

Times are written as local Europe/London times with TZID=Europe/London and a VTIMEZONE. The
VTIMEZONE uses the UK's yearly rule (RRULE, last Sunday of March and of October) because Outlook
reads only DTSTART/RRULE/TZOFFSETFROM/TZOFFSETTO from a VTIMEZONE and ignores RDATE, which is what
icalendar's generated timezones use. Should tzdata ever disagree with that rule on the session's
dates, the invite falls back to icalendar's VTIMEZONE built from tzdata.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

from .models import CalendarInvite

TZID = "Europe/London"
LONDON = ZoneInfo(TZID)
METHODS = ("REQUEST", "CANCEL")
GMT, BST = timedelta(0), timedelta(hours=1)


def session_spans(session):
    """The session's days as (start, end) in London time, in order."""
    days = sorted(session.days.all(), key=lambda day: day.starts_at)
    return [(_local(day.starts_at), _local(day.ends_at)) for day in days]


def invite(*, session, attendee_email, attendee_name, method="REQUEST", sequence=0, day_number=1, spans=None):
    """The iCalendar text of one day of `session` for one attendee: one METHOD and one VEVENT,
    because Outlook reads only the first VEVENT of a message. A multi-day course sends one
    message per day (booking/notifications.py).

    `spans` are the days as (start, end), by default the session's own; pass the days the
    session used to have to cancel one it no longer has. `sequence` must be higher than the
    last one sent for the same UID (booking.models.CalendarInvite keeps count)."""
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    spans = session_spans(session) if spans is None else [(_local(s), _local(e)) for s, e in spans]
    if not spans:
        raise ValueError(f"session {session.pk} has no days to invite to")
    if not 1 <= day_number <= len(spans):
        raise ValueError(f"day {day_number} is not one of the {len(spans)} days")
    course, venue = session.course, session.venue
    provider = settings.PROVIDER
    stamp = timezone.now().astimezone(UTC).replace(microsecond=0)
    course_url = settings.SITE_URL + course.get_absolute_url()
    location = _location(venue)
    start, end = spans[day_number - 1]

    cal = Calendar()
    cal.add("prodid", f"-//{provider['name']}//Course bookings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(_vtimezone([(start, end)]))

    summary = course.title if len(spans) == 1 else f"{course.title} (day {day_number} of {len(spans)})"
    event = Event()
    event.add("uid", event_uid(session=session, day_number=day_number, attendee_email=attendee_email))
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("location", location)
    event.add(
        "description",
        _description(session, spans=spans, day_number=day_number, location=location, course_url=course_url),
    )
    event.add("url", course_url)
    event.add("organizer", vCalAddress.new(provider["email"], cn=_one_line(provider["name"])))
    event.add(
        "attendee",
        vCalAddress.new(
            attendee_email.strip(),
            cn=_one_line(attendee_name),
            cutype="INDIVIDUAL",
            role="REQ-PARTICIPANT",
            rsvp=False,
        ),
    )
    event.add("status", "CONFIRMED" if method == "REQUEST" else "CANCELLED")
    event.add("transp", "OPAQUE")
    if method == "REQUEST":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(days=-1))
        alarm.add("description", f"Tomorrow: {summary}, {start:%H:%M}-{end:%H:%M}")
        event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def invite_attachment(*, method="REQUEST", **kwargs):
    """The invite as an outbox attachment: {"filename", "mimetype", "method", "content"}. The
    outbox sends it as the email's text/calendar body part (iMIP) and as a file."""
    method = method.upper()
    return {
        "filename": "invite.ics" if method == "REQUEST" else "cancel.ics",
        "mimetype": "text/calendar",
        "method": method,
        "content": invite(method=method, **kwargs),
    }


def event_uid(*, session, day_number, attendee_email):
    """session-<pk>-day-<n>-<hash of the email>@<site host>: stable, and no address in the clear.

    The hash is namespaced so it cannot be matched against plain email hashes (Gravatar and the
    like); it does not use SECRET_KEY, so rotating the key does not orphan invites already sent.
    """
    digest = hashlib.sha256(f"calendar-uid:{attendee_email.strip().lower()}".encode()).hexdigest()[:16]
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"session-{session.pk}-day-{day_number}-{digest}@{host}"


# Text ------------------------------------------------------------------------------------------


def _local(moment):
    if timezone.is_naive(moment):
        raise ValueError("session days must be zone-aware")
    return moment.astimezone(LONDON)


def _one_line(text):
    """For CN parameters: one line, and no double quotes (escaped as ^' by RFC 6868, which
    Outlook shows literally)."""
    return " ".join(str(text).replace('"', "'").split())


def _day_text(start, end):
    if start.date() == end.date():
        return f"{start:%a} {start.day} {start:%B %Y}, {start:%H:%M}-{end:%H:%M}"
    return f"{start:%a} {start.day} {start:%B %Y}, {start:%H:%M} to {end:%a} {end.day} {end:%B %Y}, {end:%H:%M}"


def _location(venue):
    if venue.is_online:
        return f"Online: {venue.joining_link}" if venue.joining_link else "Online"
    parts = [venue.name, *[line.strip(" ,") for line in venue.address.splitlines()], venue.town, venue.postcode]
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _description(session, *, spans, day_number, location, course_url):
    venue, provider = session.venue, settings.PROVIDER
    start, end = spans[day_number - 1]
    lines = [session.course.title]
    if len(spans) == 1:
        lines.append(_day_text(start, end))
    else:
        lines.append(f"Day {day_number} of {len(spans)}: {_day_text(start, end)}")
        lines.append("")
        lines.append("All days:")
        lines.extend(f"- {_day_text(s, e)}" for s, e in spans)
    lines.append("")
    if venue.is_online:
        lines.append("Online (virtual classroom)")
        if venue.joining_link:
            lines.append(f"Joining link: {venue.joining_link}")
    else:
        lines.append(f"Venue: {location}")
        for note in (venue.access_notes.strip(), venue.parking_notes.strip()):
            if note:
                lines.append(note)
    if session.joining_instructions.strip():
        lines += ["", "Joining instructions:", session.joining_instructions.strip()]
    lines += [
        "",
        f"Course details: {course_url}",
        f"Questions: {provider['name']}, {provider['phone']}, {provider['email']}",
    ]
    return "\n".join(lines)


# Time zone -------------------------------------------------------------------------------------


def _uk_rule_offset(moment):
    """The UK offset by the rule the VTIMEZONE states: BST from 01:00 UTC on the last Sunday of
    March to 01:00 UTC on the last Sunday of October."""
    utc = moment.astimezone(UTC)

    def last_sunday_1am(month):
        last = date(utc.year, month + 1, 1) - timedelta(days=1)
        last -= timedelta(days=(last.weekday() + 1) % 7)
        return datetime(last.year, last.month, last.day, 1, tzinfo=UTC)

    return BST if last_sunday_1am(3) <= utc < last_sunday_1am(10) else GMT


def _vtimezone(spans):
    moments = [moment for span in spans for moment in span]
    if all(_uk_rule_offset(m) == m.utcoffset() for m in moments):
        return _uk_vtimezone()
    # tzdata says otherwise (the UK changed its rules): describe these dates exactly.
    first, last = min(moments).date(), max(moments).date()
    return Timezone.from_tzid(TZID, first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 1, 1))


def _uk_vtimezone():
    tz = Timezone()
    tz.add("tzid", TZID)
    daylight = TimezoneDaylight()
    daylight.add("dtstart", datetime(1981, 3, 29, 1, 0))
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    daylight.add("tzoffsetfrom", GMT)
    daylight.add("tzoffsetto", BST)
    daylight.add("tzname", "BST")
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1996, 10, 27, 2, 0))
    standard.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    standard.add("tzoffsetfrom", BST)
    standard.add("tzoffsetto", GMT)
    standard.add("tzname", "GMT")
    tz.add_component(daylight)
    tz.add_component(standard)
    return tz


# Numbering: every message for a UID takes the next SEQUENCE --------------------------------------


@dataclass
class PendingInvite:
    """One day's calendar message for one delegate. Its SEQUENCE is given when the emails are
    queued, from the last one sent for the same UID (see CalendarInvite)."""

    session: object
    attendee_email: str
    attendee_name: str
    method: str
    day_number: int
    spans: list | None = None  # None: the session's own days; else the days it used to have

    @property
    def uid(self):
        return event_uid(session=self.session, day_number=self.day_number, attendee_email=self.attendee_email)


def number_invites(emails):
    """Turn each PendingInvite into its .ics with the next SEQUENCE for its UID: one read and one
    write for all the emails, however many delegates."""
    pending = [
        (email, index, spec)
        for email in emails
        for index, spec in enumerate(email.attachments)
        if isinstance(spec, PendingInvite)
    ]
    if not pending:
        return
    now = timezone.now()
    with transaction.atomic():
        known = {
            row.uid: row
            for row in CalendarInvite.objects.select_for_update().filter(uid__in={spec.uid for _, _, spec in pending})
        }
        new = {}
        for email, index, spec in pending:
            row = known.get(spec.uid) or new.get(spec.uid)
            if row is None:
                # The first message numbered here. Invites sent before numbering began used the
                # session's number and cancels one more, so start above both.
                row = new[spec.uid] = CalendarInvite(uid=spec.uid, sequence=spec.session.ics_sequence + 1)
            else:
                row.sequence += 1
            row.method, row.updated_at = spec.method, now
            email.attachments[index] = invite_attachment(
                session=spec.session,
                attendee_email=spec.attendee_email,
                attendee_name=spec.attendee_name,
                method=spec.method,
                sequence=row.sequence,
                day_number=spec.day_number,
                spans=spec.spans,
            )
        CalendarInvite.objects.bulk_create(new.values(), batch_size=500)
        if known:
            CalendarInvite.objects.bulk_update(known.values(), ["sequence", "method", "updated_at"], batch_size=500)
