"""UK formats for pages and emails: "Tue 3 March 2026, 09:30-16:30", "£1,234.50"."""

from datetime import datetime
from decimal import Decimal

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone

register = template.Library()


@register.filter
def uk_date(value):
    """Tue 3 March 2026, from a time (in UK time) or a date."""
    if not value:
        return ""
    local = timezone.localtime(value) if isinstance(value, datetime) and timezone.is_aware(value) else value
    return f"{local:%a} {local.day} {local:%B %Y}"


@register.filter
def uk_datetime(value):
    """Tue 3 March 2026, 09:30"""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{uk_date(local)}, {local:%H:%M}"


def uk_when(value, now=None):
    """A time near now, as people say it: "Today 14:00", "Tomorrow 09:00", "Tue 10:30" (within
    six days), else "Tue 15 Dec" (with the year if not this year)."""
    if not value:
        return ""
    local, today = timezone.localtime(value), timezone.localdate(now)
    days = (local.date() - today).days
    if days == 0:
        return f"Today {local:%H:%M}"
    if days == 1:
        return f"Tomorrow {local:%H:%M}"
    if 1 < days <= 6:
        return f"{local:%a %H:%M}"
    year = "" if local.year == today.year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year}"


def uk_overdue(value, now=None):
    """How long ago a due time passed, in whole units: "Overdue 40 min", "Overdue 2 h", "Overdue 3 d"."""
    minutes = max(int(((now or timezone.now()) - value).total_seconds() // 60), 1)
    if minutes < 60:
        return f"Overdue {minutes} min"
    if minutes < 24 * 60:
        return f"Overdue {minutes // 60} h"
    return f"Overdue {minutes // (24 * 60)} d"


@register.simple_tag
def uk_span(start, end):
    """Tue 3 March 2026, 09:30-16:30 (the end's date is shown too when it differs)."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    if start.date() == end.date():
        return f"{uk_date(start)}, {start:%H:%M}-{end:%H:%M}"
    return f"{uk_datetime(start)} to {uk_datetime(end)}"


def signed_gbp(value):
    """£1,234.50, and -£100.00 for a discount or a credit (not £-100.00)."""
    value = Decimal(value)
    return f"-{gbp(-value)}" if value < 0 else gbp(value)


@register.filter
def gbp(value):
    """£1,234.50"""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole, _, pence = f"{amount:f}".partition(".")
    return f"£{intcomma(int(whole))}.{pence}"


def vat_percent():
    """The VAT rate as people read it: "20%" (from VAT_RATE, not written into templates)."""
    percent = (settings.VAT_RATE * 100).normalize()
    return f"{percent:f}%"


def booking_closes_text():
    """The default booking close as people read it: "24 hours" or "2 days" before the start."""
    hours = int(settings.BOOKING_CLOSES_BEFORE_START.total_seconds() // 3600)
    if hours and hours % 24 == 0 and hours > 24:
        days = hours // 24
        return f"{days} days"
    return f"{hours} hour{'s' if hours != 1 else ''}"
