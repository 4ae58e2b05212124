"""The business-hours clock: SLA due times, callback slots, promises. No database, no frozen time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.business_hours import (
    add_working_time,
    callback_due_at,
    callback_slots,
    is_business_time,
    is_overdue,
    is_working_day,
    next_opening,
    next_working_day,
    parse_slot,
    slot_bounds,
    slot_is_available,
    slot_label,
    thank_you_promise,
    working_days_from,
    working_hours_between,
)

LONDON = ZoneInfo("Europe/London")


def london(*args):
    return datetime(*args, tzinfo=LONDON)


def offset_hours(dt):
    return dt.utcoffset() / timedelta(hours=1)


# Working days -----------------------------------------------------------------------------------


def test_bank_holidays_come_from_the_package_for_england_and_wales():
    # Christmas 2026 is a Friday, Boxing Day a Saturday, so Monday 28 is the substitute day.
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))
    assert is_working_day(date(2026, 12, 29))
    # Easter Monday and Good Friday are bank holidays in England and Wales (not Scotland).
    assert not is_working_day(date(2027, 3, 26))
    assert not is_working_day(date(2027, 3, 29))
    # Summer bank holiday: last Monday of August in England and Wales.
    assert not is_working_day(date(2026, 8, 31))
    # An ordinary Tuesday and a weekend.
    assert is_working_day(date(2026, 12, 1))
    assert not is_working_day(date(2026, 12, 5))
    assert not is_working_day(date(2026, 12, 6))


def test_next_working_day_is_strictly_after():
    assert next_working_day(date(2026, 12, 1)) == date(2026, 12, 2)
    assert next_working_day(date(2026, 12, 4)) == date(2026, 12, 7)
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)


def test_working_days_from_starts_with_the_day_if_it_is_one():
    assert working_days_from(date(2026, 12, 3), 3) == [date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 7)]
    assert working_days_from(date(2026, 12, 5), 2) == [date(2026, 12, 7), date(2026, 12, 8)]
    assert working_days_from(date(2026, 12, 24), 2) == [date(2026, 12, 24), date(2026, 12, 29)]
    assert working_days_from(date(2026, 12, 1), 0) == []


# SLA due times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested_at", "due_at"),
    [
        pytest.param(london(2026, 12, 1, 10, 0), london(2026, 12, 1, 12, 0), id="Tue 10:00 within hours"),
        pytest.param(london(2026, 12, 1, 16, 30), london(2026, 12, 2, 10, 30), id="Tue 16:30 runs over"),
        pytest.param(london(2026, 12, 1, 20, 0), london(2026, 12, 2, 11, 0), id="Tue 20:00 evening"),
        pytest.param(london(2026, 12, 2, 7, 0), london(2026, 12, 2, 11, 0), id="Wed 07:00 before opening"),
        pytest.param(london(2026, 12, 4, 16, 50), london(2026, 12, 7, 10, 50), id="Fri 16:50 due Monday morning"),
        pytest.param(london(2026, 12, 5, 11, 0), london(2026, 12, 7, 11, 0), id="Saturday"),
        pytest.param(london(2026, 12, 1, 15, 0), london(2026, 12, 1, 17, 0), id="ends exactly at closing"),
        pytest.param(london(2026, 12, 1, 17, 0), london(2026, 12, 2, 11, 0), id="at closing counts from next day"),
        pytest.param(london(2026, 12, 1, 9, 0), london(2026, 12, 1, 11, 0), id="at opening"),
        pytest.param(london(2026, 12, 24, 16, 0), london(2026, 12, 29, 10, 0), id="Christmas and Boxing Day sub"),
        pytest.param(london(2026, 12, 25, 10, 0), london(2026, 12, 29, 11, 0), id="on Christmas Day"),
        pytest.param(london(2026, 12, 31, 16, 30), london(2027, 1, 4, 10, 30), id="New Year"),
    ],
)
def test_callback_due_at_without_a_slot_is_two_working_hours(requested_at, due_at):
    result = callback_due_at(requested_at)
    assert result == due_at
    assert result.tzinfo == LONDON


def test_easter_monday_2027_right_after_the_clocks_go_forward():
    # Thu 25 March 2027 16:30 GMT; Good Friday 26, weekend (BST from Sun 28), Easter Monday 29.
    requested = london(2027, 3, 25, 16, 30)
    assert offset_hours(requested) == 0
    due = callback_due_at(requested)
    assert due == london(2027, 3, 30, 10, 30)
    assert (due.hour, due.minute) == (10, 30)
    assert offset_hours(due) == 1
    assert due.astimezone(UTC) == datetime(2027, 3, 30, 9, 30, tzinfo=UTC)
    # 1.5 working hours over almost five days of elapsed time that lost an hour to BST.
    assert working_hours_between(requested, due) == timedelta(hours=2)


def test_clocks_going_back_keep_the_wall_clock_hours():
    # Fri 23 October 2026 16:00 BST; GMT from Sun 25; due Mon 26 10:00 GMT.
    due = callback_due_at(london(2026, 10, 23, 16, 0))
    assert (due.date(), due.hour, due.minute) == (date(2026, 10, 26), 10, 0)
    assert offset_hours(due) == 0
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


def test_any_aware_input_is_read_in_london_time():
    # 09:00 UTC on 7 July 2026 is 10:00 BST.
    due = callback_due_at(datetime(2026, 7, 7, 9, 0, tzinfo=UTC))
    assert due == london(2026, 7, 7, 12, 0)
    assert due.tzinfo == LONDON
    # 23:30 UTC on Friday 4 December is still Friday in London: due Monday 11:00.
    assert callback_due_at(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)) == london(2026, 12, 7, 11, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        callback_due_at(datetime(2026, 12, 1, 10, 0))
    with pytest.raises(ValueError):
        add_working_time(datetime(2026, 12, 1, 10, 0), timedelta(hours=1))


def test_add_working_time_spans_several_days_and_refuses_negative():
    assert add_working_time(london(2026, 12, 3, 13, 0), timedelta(hours=20)) == london(2026, 12, 7, 17, 0)
    assert add_working_time(london(2026, 12, 3, 13, 0), timedelta(hours=20, minutes=1)) == london(2026, 12, 8, 9, 1)
    with pytest.raises(ValueError):
        add_working_time(london(2026, 12, 1, 10, 0), timedelta(minutes=-1))


def test_next_opening_and_business_time():
    assert next_opening(london(2026, 12, 1, 10, 15)) == london(2026, 12, 1, 10, 15)
    assert next_opening(london(2026, 12, 1, 17, 0)) == london(2026, 12, 2, 9, 0)
    assert next_opening(london(2026, 12, 5, 12, 0)) == london(2026, 12, 7, 9, 0)
    assert is_business_time(london(2026, 12, 1, 9, 0))
    assert not is_business_time(london(2026, 12, 1, 17, 0))
    assert not is_business_time(london(2026, 12, 25, 12, 0))


def test_working_hours_between_is_the_inverse_of_add_working_time():
    starts = [london(2026, 12, 1, 8, 0) + timedelta(minutes=97 * i) for i in range(120)]
    starts += [london(2027, 3, 24, 12, 0) + timedelta(minutes=113 * i) for i in range(60)]
    for start in starts:
        for delta in (timedelta(minutes=20), timedelta(hours=2), timedelta(hours=9, minutes=5)):
            end = add_working_time(start, delta)
            assert working_hours_between(start, end) == delta, (start, delta)
    assert working_hours_between(london(2026, 12, 2, 10, 0), london(2026, 12, 1, 10, 0)) == timedelta(0)


def test_hours_and_sla_come_from_settings(settings):
    settings.BUSINESS_HOURS_START = time(8, 30)
    settings.BUSINESS_HOURS_END = "17:30"
    settings.CALLBACK_SLA_WORKING_HOURS = 4
    assert callback_due_at(london(2026, 12, 1, 15, 0)) == london(2026, 12, 2, 10, 0)
    assert callback_due_at(london(2026, 12, 1, 8, 0)) == london(2026, 12, 1, 12, 30)
    assert callback_due_at(london(2026, 12, 1, 15, 0), sla=timedelta(minutes=30)) == london(2026, 12, 1, 15, 30)
    settings.BUSINESS_HOURS_END = "08:00"
    with pytest.raises(ImproperlyConfigured):
        callback_due_at(london(2026, 12, 1, 15, 0))


# Slots ------------------------------------------------------------------------------------------


def test_a_slot_is_due_at_its_end():
    now = london(2026, 12, 1, 10, 0)
    assert callback_due_at(now, (date(2026, 12, 1), "am")) == london(2026, 12, 1, 12, 30)
    assert callback_due_at(now, (date(2026, 12, 1), "pm")) == london(2026, 12, 1, 17, 0)
    assert callback_due_at(now, "2026-12-03:am") == london(2026, 12, 3, 12, 30)
    # Later than the SLA when the caller asked for it.
    assert callback_due_at(london(2026, 12, 4, 16, 50), (date(2026, 12, 7), "pm")) == london(2026, 12, 7, 17, 0)


def test_a_slot_over_or_on_a_closed_day_falls_back_to_the_sla():
    # 12:10: only 20 minutes of the morning left, under the 30-minute minimum.
    assert callback_due_at(london(2026, 12, 1, 12, 10), (date(2026, 12, 1), "am")) == london(2026, 12, 1, 14, 10)
    # A slot in the past.
    assert callback_due_at(london(2026, 12, 2, 10, 0), (date(2026, 12, 1), "pm")) == london(2026, 12, 2, 12, 0)
    # A Saturday and a bank holiday.
    assert callback_due_at(london(2026, 12, 4, 10, 0), (date(2026, 12, 5), "am")) == london(2026, 12, 4, 12, 0)
    assert callback_due_at(london(2026, 12, 24, 10, 0), "2026-12-28:am") == london(2026, 12, 24, 12, 0)
    # Malformed slots.
    assert callback_due_at(london(2026, 12, 1, 10, 0), "tomorrow") == london(2026, 12, 1, 12, 0)
    assert callback_due_at(london(2026, 12, 1, 10, 0), (date(2026, 12, 1), "evening")) == london(2026, 12, 1, 12, 0)


def test_slot_availability_needs_thirty_minutes_left():
    day = date(2026, 12, 1)
    assert slot_is_available(day, "am", london(2026, 12, 1, 12, 0))
    assert not slot_is_available(day, "am", london(2026, 12, 1, 12, 1))
    assert slot_is_available(day, "pm", london(2026, 12, 1, 16, 30))
    assert not slot_is_available(day, "pm", london(2026, 12, 1, 16, 31))
    assert slot_bounds(day, "am") == (london(2026, 12, 1, 9, 0), london(2026, 12, 1, 12, 30))
    assert slot_bounds(day, "pm") == (london(2026, 12, 1, 12, 30), london(2026, 12, 1, 17, 0))


def test_callback_slots_in_the_morning_offer_today_and_two_more_days():
    assert callback_slots(london(2026, 12, 1, 10, 0)) == [
        ("2026-12-01:am", "Today, morning (9am to 12:30pm)"),
        ("2026-12-01:pm", "Today, afternoon (12:30pm to 5pm)"),
        ("2026-12-02:am", "Tomorrow, morning (9am to 12:30pm)"),
        ("2026-12-02:pm", "Tomorrow, afternoon (12:30pm to 5pm)"),
        ("2026-12-03:am", "Thu 3 December, morning (9am to 12:30pm)"),
        ("2026-12-03:pm", "Thu 3 December, afternoon (12:30pm to 5pm)"),
    ]


def test_at_ten_past_twelve_the_morning_slot_is_gone():
    values = [value for value, _ in callback_slots(london(2026, 12, 1, 12, 10))]
    assert values == [
        "2026-12-01:pm",
        "2026-12-02:am",
        "2026-12-02:pm",
        "2026-12-03:am",
        "2026-12-03:pm",
    ]


def test_friday_evening_offers_the_next_three_working_days():
    slots = callback_slots(london(2026, 12, 4, 16, 50))
    assert [value for value, _ in slots] == [
        "2026-12-07:am",
        "2026-12-07:pm",
        "2026-12-08:am",
        "2026-12-08:pm",
        "2026-12-09:am",
        "2026-12-09:pm",
    ]
    assert slots[0][1] == "Mon 7 December, morning (9am to 12:30pm)"


def test_callback_slots_skip_bank_holidays_and_name_the_next_year():
    slots = callback_slots(london(2026, 12, 31, 17, 30), days=2)
    assert [value for value, _ in slots] == ["2027-01-04:am", "2027-01-04:pm", "2027-01-05:am", "2027-01-05:pm"]
    assert slots[0][1] == "Mon 4 January 2027, morning (9am to 12:30pm)"
    assert callback_slots(london(2026, 12, 1, 10, 0), days=0) == []


def test_slot_label_on_a_sunday_calls_monday_tomorrow():
    assert slot_label(date(2026, 12, 7), "am", london(2026, 12, 6, 20, 0)) == "Tomorrow, morning (9am to 12:30pm)"


def test_slot_labels_follow_settings(settings):
    settings.CALLBACK_SLOT_MIDDAY = time(12)
    settings.BUSINESS_HOURS_END = time(17, 30)
    now = london(2026, 12, 1, 8, 0)
    assert slot_label(date(2026, 12, 1), "am", now) == "Today, morning (9am to 12pm)"
    assert slot_label(date(2026, 12, 1), "pm", now) == "Today, afternoon (12pm to 5:30pm)"


@pytest.mark.parametrize(
    "value",
    ["", "2026-12-01", "2026-12-01:", "2026-12-01:noon", "2026-12-01:AM", "2026-13-01:am", "2026-02-30:pm",
     "26-12-01:am", "2026-12-01:am:pm", "x2026-12-01:am", None, 20261201, ("2026-12-01", "am")],
)  # fmt: skip
def test_parse_slot_refuses_bad_input(value):
    with pytest.raises(ValueError):
        parse_slot(value)


def test_parse_slot_reads_good_input():
    assert parse_slot("2026-12-01:am") == (date(2026, 12, 1), "am")
    assert parse_slot("2027-03-29:pm") == (date(2027, 3, 29), "pm")


# Promises and overdue ---------------------------------------------------------------------------


def test_thank_you_promises():
    now = london(2026, 12, 1, 13, 30)
    assert thank_you_promise(london(2026, 12, 1, 15, 30), now) == "by 15:30 today"
    assert thank_you_promise(london(2026, 12, 2, 11, 0), now) == "by 11:00 tomorrow"
    friday = london(2026, 12, 4, 16, 50)
    assert thank_you_promise(callback_due_at(friday), friday) == "by 10:50 on Monday 7 December"
    assert (
        thank_you_promise(london(2027, 1, 4, 10, 0), london(2026, 12, 31, 16, 0)) == "by 10:00 on Monday 4 January 2027"
    )
    # Told in London time whatever zone the values come in.
    assert thank_you_promise(datetime(2026, 7, 7, 14, 30, tzinfo=UTC), datetime(2026, 7, 7, 9, 0, tzinfo=UTC)) == (
        "by 15:30 today"
    )


def test_is_overdue():
    due = london(2026, 12, 1, 12, 0)
    assert not is_overdue(due, london(2026, 12, 1, 11, 59))
    assert not is_overdue(due, due)
    assert is_overdue(due, london(2026, 12, 1, 12, 0, 1))
    assert not is_overdue(None, due)
