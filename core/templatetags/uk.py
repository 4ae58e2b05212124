"""UK formats for pages and emails: "Tue 3 March 2026, 09:30-16:30", "£1,234.50"."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone

register = template.Library()


@register.filter
def uk_date(value):
    """Tue 3 March 2026"""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local:%a} {local.day} {local:%B %Y}"


@register.filter
def uk_datetime(value):
    """Tue 3 March 2026, 09:30"""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{uk_date(local)}, {local:%H:%M}"


@register.simple_tag
def uk_span(start, end):
    """Tue 3 March 2026, 09:30-16:30 (the end's date is shown too when it differs)."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    if start.date() == end.date():
        return f"{uk_date(start)}, {start:%H:%M}-{end:%H:%M}"
    return f"{uk_datetime(start)} to {uk_datetime(end)}"


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
