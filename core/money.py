"""Pounds and pence as every room counts them: Decimal, rounded half up to the penny (HMRC
allows rounding VAT to the nearest penny), each line rounded before lines are added up."""

from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")


def money(value):
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_price):
    """quantity × unit price to the penny; either may be a Decimal, an int or a string."""
    return money(Decimal(str(quantity)) * Decimal(str(unit_price)))
