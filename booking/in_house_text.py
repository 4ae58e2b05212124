"""What only an in-house course's emails and register page show: the agreed price line by line,
the places left and the private registration link (booking/emails.py has the rest)."""

from decimal import Decimal

from core.money import line_amount
from core.templatetags.uk import gbp, uk_datetime

from .links import registration_url


def agreed_lines_display(booking):
    """The agreed price's lines with their amounts: [{"description", "quantity", "unit_price", "amount"}]."""
    rows = []
    for line in booking.agreed_lines:
        quantity, unit_price = Decimal(line["quantity"]), Decimal(line["unit_price"])
        amount = line_amount(quantity, unit_price)
        rows.append(
            {
                "description": line["description"],
                "quantity": quantity.normalize(),
                "unit_price": unit_price,
                "amount": amount,
            }
        )
    return rows


def agreed_price_text(booking):
    """The agreed lines, one a line: "Trainer's day rate: 2 × £950.00 = £1,900.00"."""
    return "\n".join(
        f"{row['description']}: {row['quantity']:f} × {gbp(row['unit_price'])} = {gbp(row['amount'])}"
        for row in agreed_lines_display(booking)
    )


def places_left_text(count):
    return f"{count} place{'s' if count != 1 else ''} left" if count > 0 else "No places left"


def in_house_placeholders(booking):
    """What only the in-house coordinator's emails show: the trainer, the places, the agreed
    price and the private registration link to share."""
    session = booking.session
    return {
        "trainer": session.trainer.name if session.trainer_id else "to be confirmed",
        "capacity": str(session.capacity),
        "agreed_price": agreed_price_text(booking),
        "registration_link": registration_url(session),
        "register_closes": uk_datetime(session.booking_closes_at),
    }
