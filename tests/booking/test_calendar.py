"""Calendar invites: what a calendar client parses out of the .ics we send."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings
from icalendar import Calendar

from booking.calendar import _uk_rule_offset, invite, invite_attachment
from booking.services import session_create
from tests.factories import CourseFactory, VenueFactory, london, make_session

pytestmark = pytest.mark.django_db

EMAIL = "Pat.Delegate@Example.org"
LONDON = ZoneInfo("Europe/London")


def parse(text):
    return Calendar.from_ical(text)


def events(text):
    return parse(text).walk("VEVENT")


def uids(text):
    return [str(event["UID"]) for event in events(text)]


def ics(session, email=EMAIL, name="Pat Delegate", **kwargs):
    return invite(session=session, attendee_email=email, attendee_name=name, **kwargs)


def all_events(session, **kwargs):
    """Each day's message, each with exactly one VEVENT (Outlook reads no more than one)."""
    found = []
    for n in range(1, session.days.count() + 1):
        [event] = events(ics(session, day_number=n, **kwargs))
        found.append(event)
    return found


def all_uids(session, **kwargs):
    return [str(event["UID"]) for event in all_events(session, **kwargs)]


def session_on(*days, venue=None, **kwargs):
    """A session with the given (start, end) days, through the real service."""
    return session_create(
        course=CourseFactory(title="De-escalation Skills"),
        venue=venue or VenueFactory(),
        days=list(days),
        capacity=10,
        **kwargs,
    )


def test_request_is_a_calendar_with_method_prodid_version_and_crlf():
    text = ics(make_session())
    assert isinstance(text, str)
    cal = parse(text)
    assert cal["METHOD"] == "REQUEST"
    assert cal["VERSION"] == "2.0"
    assert "Calm Response Training" in str(cal["PRODID"])
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    [event] = cal.walk("VEVENT")
    assert event["STATUS"] == "CONFIRMED"


def test_one_message_per_day_each_with_one_event_in_order_with_day_n_of_n():
    session = make_session(days=3)
    found = all_events(session)
    assert len(found) == 3
    days = list(session.days.order_by("starts_at"))
    for n, (event, day) in enumerate(zip(found, days, strict=True), start=1):
        assert event.start == day.starts_at
        assert event.end == day.ends_at
        assert str(event["SUMMARY"]) == f"{session.course.title} (day {n} of 3)"


def test_single_day_summary_is_the_course_title():
    session = make_session()
    [event] = events(ics(session))
    assert str(event["SUMMARY"]) == session.course.title


def test_uids_are_stable_and_differ_per_attendee_day_and_session():
    session, other_session = make_session(days=3), make_session(days=3)
    first = all_uids(session)
    assert first == all_uids(session)  # same inputs, same UIDs
    assert all_uids(session, email="  pat.delegate@example.org ") == first  # address case and spaces ignored
    assert len(set(first)) == 3  # one per day
    assert set(first).isdisjoint(all_uids(session, email="someone.else@example.org"))
    assert set(first).isdisjoint(all_uids(other_session))
    for uid in first:
        assert "@" in uid and uid.startswith(f"session-{session.pk}-day-")
        assert "pat.delegate" not in uid.lower() and "example.org" not in uid.lower()


@override_settings(SITE_URL="https://training.example.co.uk")
def test_uid_host_comes_from_site_url():
    for uid in uids(ics(make_session())):
        assert uid.endswith("@training.example.co.uk")


def test_just_after_the_clock_change_times_are_london_local():
    # BST starts on Sunday 28 March 2027: Monday 09:30 in London is 08:30 UTC.
    text = ics(session_on((london(2027, 3, 29, 9, 30), london(2027, 3, 29, 16, 30))))
    [event] = events(text)
    start, end = event["DTSTART"], event["DTEND"]
    assert start.params["TZID"] == "Europe/London"
    assert end.params["TZID"] == "Europe/London"
    assert event.start.tzinfo is not None
    assert event.start.astimezone(LONDON).replace(tzinfo=None) == datetime(2027, 3, 29, 9, 30)
    assert event.start.astimezone(UTC) == datetime(2027, 3, 29, 8, 30, tzinfo=UTC)
    assert event.end.astimezone(UTC) == datetime(2027, 3, 29, 15, 30, tzinfo=UTC)
    # Written as local time with a TZID: not floating, not UTC.
    assert "DTSTART;TZID=Europe/London:20270329T093000\r\n" in text
    assert "DTEND;TZID=Europe/London:20270329T163000\r\n" in text


def test_just_before_the_clock_change_london_is_utc():
    [event] = events(ics(session_on((london(2027, 3, 26, 9, 30), london(2027, 3, 26, 16, 30)))))
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.start.astimezone(UTC) == datetime(2027, 3, 26, 9, 30, tzinfo=UTC)


def test_a_session_across_the_clock_change_keeps_0930_local_each_day():
    session = session_on(
        (london(2027, 3, 26, 9, 30), london(2027, 3, 26, 16, 30)),
        (london(2027, 3, 29, 9, 30), london(2027, 3, 29, 16, 30)),
    )
    found = all_events(session)
    assert [e.start.astimezone(UTC).hour for e in found] == [9, 8]
    assert {e.start.astimezone(LONDON).strftime("%H:%M") for e in found} == {"09:30"}


def test_vtimezone_for_london_is_included_and_matches_tzdata():
    text = ics(session_on((london(2027, 3, 29, 9, 30), london(2027, 3, 29, 16, 30))))
    cal = parse(text)
    assert cal.get_missing_tzids() == set()
    [tz] = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "Europe/London"
    # The VTIMEZONE itself (not the TZID looked up in tzdata) gives tzdata's offset at every
    # hour of the years around the session, clock changes included.
    zone = tz.to_tz(lookup_tzid=False)
    instant = datetime(2026, 1, 1, tzinfo=UTC)
    while instant < datetime(2029, 1, 1, tzinfo=UTC):
        assert instant.astimezone(zone).utcoffset() == instant.astimezone(LONDON).utcoffset(), instant
        instant += timedelta(minutes=30)
    # Outlook reads only RRULE-based VTIMEZONEs.
    assert all("RRULE" in sub and "RDATE" not in sub for sub in tz.subcomponents)


def test_the_uk_rule_in_the_vtimezone_matches_tzdata_for_years_ahead():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment < datetime(2038, 1, 1, tzinfo=UTC):
        assert _uk_rule_offset(moment) == moment.astimezone(LONDON).utcoffset(), moment
        moment += timedelta(hours=1)


def test_sequence_is_the_one_given():
    session = make_session(days=2)
    assert {e["SEQUENCE"] for e in all_events(session)} == {0}
    assert {e["SEQUENCE"] for e in all_events(session, sequence=7)} == {7}


def test_cancel_has_status_cancelled_same_uids_and_no_alarm():
    session = make_session(days=2)
    assert all_uids(session, method="CANCEL", sequence=1) == all_uids(session)
    assert parse(ics(session, method="CANCEL", sequence=1))["METHOD"] == "CANCEL"
    for event in all_events(session, method="CANCEL", sequence=1):
        assert event["STATUS"] == "CANCELLED"
        assert event["SEQUENCE"] == 1
        assert event.walk("VALARM") == []


def test_request_has_an_alarm_the_day_before():
    for event in all_events(make_session(days=2)):
        [alarm] = event.walk("VALARM")
        assert alarm["ACTION"] == "DISPLAY"
        assert alarm["TRIGGER"].dt == timedelta(days=-1)
        assert str(alarm["DESCRIPTION"])


def test_organizer_and_attendee_are_mailto_with_names():
    [event] = events(ics(make_session(), name='O\'Brien,  "Pat"\n'))
    organizer, attendee = event["ORGANIZER"], event["ATTENDEE"]
    assert str(organizer) == "mailto:hello@example.com"
    assert organizer.params["CN"] == "Calm Response Training"
    assert str(attendee) == f"mailto:{EMAIL}"
    assert attendee.params["CN"] == "O'Brien, 'Pat'"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["RSVP"] == "FALSE"


def test_dtstamp_is_now_in_utc():
    [event] = events(ics(make_session()))
    stamp = event["DTSTAMP"].dt
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


def test_in_person_location_description_and_url():
    venue = VenueFactory(name="Orwell Centre", address="2 Quay Street\nWaterfront", town="Ipswich", postcode="IP4 1AS")
    session = session_on(
        (london(2027, 3, 29, 9, 30), london(2027, 3, 29, 16, 30)),
        venue=venue,
        joining_instructions="Bring photo ID. Report to reception.",
    )
    [event] = events(ics(session))
    assert str(event["LOCATION"]) == "Orwell Centre, 2 Quay Street, Waterfront, Ipswich, IP4 1AS"
    description = str(event["DESCRIPTION"])
    assert "De-escalation Skills" in description
    assert "Mon 29 March 2027, 09:30-16:30" in description
    assert "Bring photo ID. Report to reception." in description
    assert "Step-free access" in description
    assert str(event["URL"]) == settings.SITE_URL + session.course.get_absolute_url()


def test_online_location_has_the_joining_link():
    venue = VenueFactory(
        name="Virtual classroom", is_online=True, town="", postcode="", address="",
        joining_link="https://meet.example.com/room/42",
    )  # fmt: skip
    [event] = events(ics(make_session(venue=venue)))
    assert str(event["LOCATION"]) == "Online: https://meet.example.com/room/42"
    assert "https://meet.example.com/room/42" in str(event["DESCRIPTION"])


def test_multi_day_description_lists_every_day():
    session = session_on(
        (london(2027, 3, 26, 9, 30), london(2027, 3, 26, 16, 30)),
        (london(2027, 3, 29, 9, 30), london(2027, 3, 29, 16, 30)),
    )
    second = all_events(session)[1]
    description = str(second["DESCRIPTION"])
    assert "Day 2 of 2: Mon 29 March 2027, 09:30-16:30" in description
    assert "Fri 26 March 2027, 09:30-16:30" in description


def test_attachment_for_the_outbox():
    session = make_session()
    request = invite_attachment(session=session, attendee_email=EMAIL, attendee_name="Pat")
    assert request["filename"] == "invite.ics"
    assert request["mimetype"] == "text/calendar"
    assert request["method"] == "REQUEST"
    assert parse(request["content"])["METHOD"] == "REQUEST"
    cancel = invite_attachment(session=session, attendee_email=EMAIL, attendee_name="Pat", method="CANCEL")
    assert (cancel["filename"], cancel["method"]) == ("cancel.ics", "CANCEL")
    assert parse(cancel["content"])["METHOD"] == "CANCEL"
    assert uids(cancel["content"]) == uids(request["content"])


def test_unknown_method_and_day_are_refused():
    with pytest.raises(ValueError):
        ics(make_session(), method="PUBLISH")
    with pytest.raises(ValueError):
        ics(make_session(days=2), day_number=3)


def test_a_dropped_day_is_cancelled_from_the_days_the_session_used_to_have():
    session = make_session(days=3)
    previous = [(day.starts_at, day.ends_at) for day in session.days.all()]
    third_uid = all_uids(session)[2]
    session.days.order_by("starts_at").last().delete()
    [event] = events(ics(session, method="CANCEL", day_number=3, spans=previous, sequence=2))
    assert str(event["UID"]) == third_uid
    assert event.start == previous[2][0]
    assert str(event["SUMMARY"]).endswith("(day 3 of 3)")


def test_days_come_from_the_database_in_order_whatever_the_input_order():
    session = session_on(
        (london(2027, 4, 2, 9, 30), london(2027, 4, 2, 16, 30)),
        (london(2027, 4, 1, 9, 30), london(2027, 4, 1, 16, 30)),
    )
    starts = [e.start.astimezone(LONDON).date() for e in all_events(session)]
    assert starts == [date(2027, 4, 1), date(2027, 4, 2)]


def test_if_tzdata_ever_disagrees_with_the_uk_rule_the_vtimezone_comes_from_tzdata(monkeypatch):
    from booking import calendar

    monkeypatch.setattr(calendar, "_uk_rule_offset", lambda moment: timedelta(hours=5))
    text = ics(session_on((london(2027, 3, 29, 9, 30), london(2027, 3, 29, 16, 30))))
    cal = parse(text)
    [tz] = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "Europe/London" and cal.get_missing_tzids() == set()
    zone = tz.to_tz(lookup_tzid=False)
    assert datetime(2027, 3, 29, 8, 30, tzinfo=UTC).astimezone(zone).hour == 9
    [event] = cal.walk("VEVENT")
    assert event.start.astimezone(UTC) == datetime(2027, 3, 29, 8, 30, tzinfo=UTC)
