"""The business-hours clock behind callback SLAs, callback slots and PO deadlines.

Pure functions, no database. Business hours are Monday to Friday, 09:00-17:00 Europe/London
wall-clock time, closed on England and Wales bank holidays (from the ``holidays`` package; its
``GB``/``ENG`` subdivision is the England and Wales list, identical to ``WLS``).

Settings, each optional (defaults in brackets):

- ``BUSINESS_HOURS_START`` (``time(9)``) and ``BUSINESS_HOURS_END`` (``time(17)``): a
  ``datetime.time`` or an ``"HH:MM"`` string.
- ``CALLBACK_SLA_WORKING_HOURS`` (``2``): working hours from a callback request to its due time;
  a number (hours, fractions allowed) or a ``timedelta``.
- ``CALLBACK_SLOT_MIDDAY`` (``time(12, 30)``): where the morning slot ends and the afternoon begins.
- ``CALLBACK_SLOT_MIN_REMAINING_MINUTES`` (``30``): a slot is offered, and honoured, only while at
  least this much of it remains.

Every function taking a datetime wants an aware one (any zone; naive ones raise ``ValueError``)
and every datetime returned is aware, in Europe/London. Arithmetic is done on instants (UTC) and
the calendar on London wall-clock dates, so GMT/BST changes are handled: a working day is always
09:00-17:00 on the clock on the wall.

Decisions:

- Working time is the half-open interval [opening, closing) of each working day. Time outside it
  does not count; a clock started in the evening, at a weekend or on a bank holiday starts at the
  next opening. ``add_working_time(t, 0)`` is therefore the next business moment at or after ``t``
  (17:00 itself is closed), but ``15:00 + 2h`` is 17:00 the same day, not 09:00 the next.
- A requested slot is honoured (due at the slot's end: 12:30 for the morning, 17:00 for the
  afternoon) when its date is a working day and, at the time of the request, at least
  ``CALLBACK_SLOT_MIN_REMAINING_MINUTES`` of the slot remain: the same rule ``callback_slots`` uses
  to offer it, so a slot offered on the form is always honoured and the promise is never shorter
  than that margin. A slot already over (or too nearly over), on a closed day or malformed falls
  back to the SLA rule from the time of the request. A slot later than the SLA due time is
  honoured as asked (the caller chose that time). Whether a far-off slot is acceptable at all is for
  the form or API to decide: offer and accept only the values ``callback_slots(now)`` returns.
- ``callback_slots`` lists ``days`` working days that still have an available slot, so a visitor
  at 16:50 on a Friday is offered Monday, Tuesday and Wednesday rather than an empty "today".
- Labels and promises are plain British English, built from fixed tables rather than the process
  locale, so they read the same in a web worker and a Celery worker.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

LONDON = ZoneInfo("Europe/London")

AM = "am"
PM = "pm"
PERIODS = (AM, PM)
PERIOD_NAMES = {AM: "morning", PM: "afternoon"}

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_SLOT_RE = re.compile(r"(\d{4}-\d{2}-\d{2}):(am|pm)")


# Settings ---------------------------------------------------------------------------------------


def _time_setting(name: str, default: time) -> time:
    value = getattr(settings, name, default)
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} must be a time such as '09:00', not {value!r}") from exc
    if not isinstance(value, time):
        raise ImproperlyConfigured(f"{name} must be a datetime.time or 'HH:MM', not {value!r}")
    return value


def business_hours() -> tuple[time, time]:
    """Opening and closing time of a working day, from settings."""
    start = _time_setting("BUSINESS_HOURS_START", time(9))
    end = _time_setting("BUSINESS_HOURS_END", time(17))
    if not start < end:
        raise ImproperlyConfigured("BUSINESS_HOURS_START must be before BUSINESS_HOURS_END")
    return start, end


def slot_midday() -> time:
    """Where the morning callback slot ends and the afternoon slot begins."""
    midday = _time_setting("CALLBACK_SLOT_MIDDAY", time(12, 30))
    start, end = business_hours()
    if not start < midday < end:
        raise ImproperlyConfigured("CALLBACK_SLOT_MIDDAY must fall within business hours")
    return midday


def sla_working_time() -> timedelta:
    """The callback SLA as working time (``CALLBACK_SLA_WORKING_HOURS``, default 2 hours)."""
    value = getattr(settings, "CALLBACK_SLA_WORKING_HOURS", 2)
    if isinstance(value, timedelta):
        sla = value
    else:
        try:
            sla = timedelta(hours=float(value))
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"CALLBACK_SLA_WORKING_HOURS must be a number, not {value!r}") from exc
    if sla < timedelta(0):
        raise ImproperlyConfigured("CALLBACK_SLA_WORKING_HOURS must not be negative")
    return sla


def slot_min_remaining() -> timedelta:
    """How much of a slot must remain for it to be offered (default 30 minutes)."""
    return timedelta(minutes=float(getattr(settings, "CALLBACK_SLOT_MIN_REMAINING_MINUTES", 30)))


# Calendar ---------------------------------------------------------------------------------------


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # "ENG" is England and Wales: the package's WLS list is the same, observed days included.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def _as_date(day: date) -> date:
    if isinstance(day, datetime):
        return to_local(day).date()
    return day


def is_bank_holiday(day: date) -> bool:
    day = _as_date(day)
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday (a datetime counts by its London date)."""
    day = _as_date(day)
    return day.weekday() < 5 and not is_bank_holiday(day)


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    day = _as_date(day) + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_days_from(day: date, count: int) -> list[date]:
    """The next ``count`` working days, starting with ``day`` if it is one."""
    day = _as_date(day)
    days: list[date] = []
    if count <= 0:
        return days
    if not is_working_day(day):
        day = next_working_day(day)
    while len(days) < count:
        days.append(day)
        day = next_working_day(day)
    return days


# Clock ------------------------------------------------------------------------------------------


def to_local(dt: datetime) -> datetime:
    """``dt`` in Europe/London; raises ValueError for a naive datetime."""
    if timezone.is_naive(dt):
        raise ValueError("business-hours functions need an aware datetime, not a naive one")
    return timezone.localtime(dt, LONDON)


def _utc(dt: datetime) -> datetime:
    return to_local(dt).astimezone(UTC)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LONDON)


def opening_hours(day: date) -> tuple[datetime, datetime]:
    """Opening and closing of ``day`` as aware London datetimes (whether or not it is a working day)."""
    start, end = business_hours()
    day = _as_date(day)
    return _at(day, start), _at(day, end)


def last_close_at_or_before(moment: datetime) -> datetime:
    """The latest close of business (17:00 on a working day) at or before ``moment``."""
    local = to_local(moment)
    day = local.date()
    while True:
        close = opening_hours(day)[1]
        if is_working_day(day) and close <= local:
            return close
        day -= timedelta(days=1)


def is_business_time(dt: datetime) -> bool:
    """Whether ``dt`` falls within business hours (opening inclusive, closing exclusive)."""
    local = to_local(dt)
    if not is_working_day(local.date()):
        return False
    opens, closes = opening_hours(local.date())
    return _utc(opens) <= _utc(local) < _utc(closes)


def add_working_time(start: datetime, delta: timedelta) -> datetime:
    """``start`` moved forward by ``delta`` of business time only; an aware London datetime."""
    if delta < timedelta(0):
        raise ValueError("add_working_time only moves forward")
    cursor = _utc(start)
    remaining = delta
    day = to_local(start).date()
    if not is_working_day(day):
        day = next_working_day(day)
    while True:
        opens, closes = (_utc(dt) for dt in opening_hours(day))
        if cursor < closes:
            cursor = max(cursor, opens)
            available = closes - cursor
            if remaining <= available:
                return to_local(cursor + remaining)
            remaining -= available
        day = next_working_day(day)


def next_opening(dt: datetime) -> datetime:
    """``dt`` itself if within business hours, otherwise the next opening."""
    return add_working_time(dt, timedelta(0))


def working_hours_between(a: datetime, b: datetime) -> timedelta:
    """Business time between ``a`` and ``b`` (zero if ``b`` is not after ``a``)."""
    a, b = _utc(a), _utc(b)
    total = timedelta(0)
    if b <= a:
        return total
    day, last = to_local(a).date(), to_local(b).date()
    while day <= last:
        if is_working_day(day):
            opens, closes = (_utc(dt) for dt in opening_hours(day))
            low, high = max(opens, a), min(closes, b)
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return total


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    """True once ``now`` is past ``due_at`` (due exactly now is not yet overdue)."""
    return due_at is not None and _utc(now) > _utc(due_at)


# Callback slots ---------------------------------------------------------------------------------


def format_slot(day: date, period: str) -> str:
    """The form value of a slot, such as ``"2026-12-01:am"``."""
    if period not in PERIODS:
        raise ValueError(f"unknown slot period {period!r}")
    return f"{_as_date(day).isoformat()}:{period}"


def parse_slot(value: str) -> tuple[date, str]:
    """``"2026-12-01:am"`` to ``(date(2026, 12, 1), "am")``; ValueError on anything else."""
    if not isinstance(value, str):
        raise ValueError(f"a slot is a string such as '2026-12-01:am', not {value!r}")
    match = _SLOT_RE.fullmatch(value.strip())
    if not match:
        raise ValueError(f"not a slot: {value!r} (expected 'YYYY-MM-DD:am' or 'YYYY-MM-DD:pm')")
    return date.fromisoformat(match.group(1)), match.group(2)


def slot_bounds(day: date, period: str) -> tuple[datetime, datetime]:
    """Start and end of a slot as aware London datetimes: am is opening-12:30, pm is 12:30-closing."""
    if period not in PERIODS:
        raise ValueError(f"unknown slot period {period!r}")
    opens, closes = opening_hours(day)
    midday = _at(_as_date(day), slot_midday())
    return (opens, midday) if period == AM else (midday, closes)


def slot_is_available(day: date, period: str, now: datetime) -> bool:
    """A slot on a working day of which at least the minimum (30 minutes) remains at ``now``."""
    if period not in PERIODS or not is_working_day(day):
        return False
    start, end = (_utc(dt) for dt in slot_bounds(day, period))
    return end - max(start, _utc(now)) >= slot_min_remaining()


def _clock_12h(clock: time) -> str:
    hour = clock.hour % 12 or 12
    suffix = "am" if clock.hour < 12 else "pm"
    return f"{hour}{suffix}" if clock.minute == 0 else f"{hour}:{clock.minute:02d}{suffix}"


def _day_words(day: date, today: date, *, long: bool) -> str:
    name = DAY_NAMES[day.weekday()]
    text = f"{name if long else name[:3]} {day.day} {MONTH_NAMES[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"


def slot_label(day: date, period: str, now: datetime) -> str:
    """``"Today, morning (9am to 12:30pm)"``, ``"Tomorrow, ..."`` or ``"Thu 3 December, ..."``."""
    day = _as_date(day)
    today = to_local(now).date()
    if day == today:
        when = "Today"
    elif day == today + timedelta(days=1):
        when = "Tomorrow"
    else:
        when = _day_words(day, today, long=False)
    start, end = slot_bounds(day, period)
    return f"{when}, {PERIOD_NAMES[period]} ({_clock_12h(start.time())} to {_clock_12h(end.time())})"


def callback_slots(now: datetime, days: int = 3) -> list[tuple[str, str]]:
    """Form choices ``(value, label)``: the available slots of the next ``days`` working days that have one."""
    choices: list[tuple[str, str]] = []
    day = to_local(now).date()
    if not is_working_day(day):
        day = next_working_day(day)
    counted = 0
    while counted < days:
        offered = [period for period in PERIODS if slot_is_available(day, period, now)]
        if offered:
            counted += 1
            choices.extend((format_slot(day, period), slot_label(day, period, now)) for period in offered)
        day = next_working_day(day)
    return choices


def callback_due_at(
    requested_at: datetime,
    slot: tuple[date, str] | str | None = None,
    *,
    sla: timedelta | None = None,
) -> datetime:
    """When a callback is due.

    With an available slot (a ``(date, period)`` pair or its form value), the end of that slot;
    otherwise ``requested_at`` plus the SLA in working time (``sla`` or the setting, 2 hours).
    See the module docstring for the rule.
    """
    if slot:
        try:
            day, period = parse_slot(slot) if isinstance(slot, str) else slot
        except (TypeError, ValueError):
            day, period = None, None
        if isinstance(day, date) and slot_is_available(day, period, requested_at):
            return to_local(slot_bounds(day, period)[1])
    return add_working_time(requested_at, sla_working_time() if sla is None else sla)


def thank_you_promise(due_at: datetime, now: datetime) -> str:
    """``"by 15:30 today"``, ``"by 11:00 tomorrow"`` or ``"by 10:00 on Monday 7 December"``."""
    due = to_local(due_at)
    today = to_local(now).date()
    clock = f"{due.hour:02d}:{due.minute:02d}"
    if due.date() == today:
        return f"by {clock} today"
    if due.date() == today + timedelta(days=1):
        return f"by {clock} tomorrow"
    return f"by {clock} on {_day_words(due.date(), today, long=True)}"
