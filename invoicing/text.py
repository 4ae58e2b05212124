"""How invoices write dates, quantities and rates: "Tue 3 March 2026", "3", "20%"."""

from decimal import Decimal


def uk_day(value):
    """A date (not a time) as UK pages show it: Tue 3 March 2026."""
    return f"{value:%a} {value.day} {value:%B %Y}" if value else ""


def quantity_text(quantity):
    """3 rather than 3.00; 1.5 stays 1.5."""
    value = Decimal(quantity)
    return f"{value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize():f}"


def percent_text(rate):
    """0.20 -> "20%", 0.175 -> "17.5%"."""
    return f"{(Decimal(rate) * 100).normalize():f}%"
