"""Calendar invites (.ics, RFC 5545 / iTIP RFC 5546) for delegates: one event per day of a session.

`invite()` gives the text, `invite_attachment()` the attachment dict the outbox sends as a
text/calendar part with its METHOD. Each event's UID is stable for attendee + session + day, so a
later REQUEST with a higher SEQUENCE moves the event in the attendee's calendar and a CANCEL
removes it.

Times are written as local Europe/London times with TZID=Europe/London and a VTIMEZONE. The
VTIMEZONE uses the UK's yearly rule (RRULE, last Sunday of March and of October) because Outlook
reads only DTSTART/RRULE/TZOFFSETFROM/TZOFFSETTO from a VTIMEZONE and ignores RDATE, which is what
icalendar's generated timezones use. Should tzdata ever disagree with that rule on the session's
dates, the invite falls back to icalendar's VTIMEZONE built from tzdata.
"""

import hashlib
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

TZID = "Europe/London"
LONDON = ZoneInfo(TZID)
METHODS = ("REQUEST", "CANCEL")
GMT, BST = timedelta(0), timedelta(hours=1)


def invite(*, session, attendee_email, attendee_name, method="REQUEST", sequence=None, spans=None, first_day=1):
    """The iCalendar text inviting one attendee to every day of `session` (or cancelling it).

    `spans` and `first_day` name other days than the session's own: the days it no longer has,
    numbered from `first_day`, to cancel them."""
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    sequence = session.ics_sequence if sequence is None else sequence
    if spans is None:
        days = sorted(session.days.all(), key=lambda day: day.starts_at)
        spans = [(_local(day.starts_at), _local(day.ends_at)) for day in days]
    if not spans:
        raise ValueError(f"session {session.pk} has no days to invite to")
    course, venue = session.course, session.venue
    provider = settings.PROVIDER
    stamp = timezone.now().astimezone(UTC).replace(microsecond=0)
    course_url = settings.SITE_URL + course.get_absolute_url()
    location = _location(venue)

    cal = Calendar()
    cal.add("prodid", f"-//{provider['name']}//Course bookings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(_vtimezone(spans))

    total = first_day - 1 + len(spans)
    for n, (start, end) in enumerate(spans, start=first_day):
        summary = course.title if total == 1 else f"{course.title} (day {n} of {total})"
        event = Event()
        event.add("uid", event_uid(session=session, day_number=n, attendee_email=attendee_email))
        event.add("sequence", sequence)
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", summary)
        event.add("location", location)
        event.add(
            "description",
            _description(session, spans=spans, day_number=n - first_day + 1, location=location, course_url=course_url),
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


def invite_attachment(*, session, attendee_email, attendee_name, method="REQUEST", sequence=None):
    """The invite as an outbox attachment: {"filename", "mimetype", "method", "content"}."""
    method = method.upper()
    content = invite(
        session=session,
        attendee_email=attendee_email,
        attendee_name=attendee_name,
        method=method,
        sequence=sequence,
    )
    return {
        "filename": "invite.ics" if method == "REQUEST" else "cancel.ics",
        "mimetype": "text/calendar",
        "method": method,
        "content": content,
    }


def dropped_days_attachment(*, session, attendee_email, attendee_name, previous_days, sequence=None):
    """When a session now has fewer days than `previous_days` (ISO start/end pairs), a CANCEL for
    the events of the positions it no longer has; None otherwise. Day UIDs go by position, so the
    remaining days are moved by the REQUEST and only the trailing positions are left over."""
    current = len(session.days.all())
    if len(previous_days) <= current:
        return None
    spans = [
        (_local(datetime.fromisoformat(start)), _local(datetime.fromisoformat(end)))
        for start, end in previous_days[current:]
    ]
    content = invite(
        session=session,
        attendee_email=attendee_email,
        attendee_name=attendee_name,
        method="CANCEL",
        sequence=sequence,
        spans=spans,
        first_day=current + 1,
    )
    return {"filename": "cancel-days.ics", "mimetype": "text/calendar", "method": "CANCEL", "content": content}


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
