"""How a quote reads in emails, on its page and in its PDF: the site, the dates, the PO."""

from core.templatetags.uk import uk_span

TO_BE_AGREED = "To be agreed with you after you accept"


def site_text(quote):
    """The training site on lines: name, address, town and postcode."""
    place = " ".join(part for part in [quote.site_town, quote.site_postcode] if part)
    return "\n".join(part for part in [quote.site_name, quote.site_address, place] if part)


def days_text(days):
    return "\n".join(uk_span(start, end) for start, end in days)


def date_choice_label(quote, date):
    """One proposed date as the client chooses it: its first day, and how many days in all."""
    days = date.days(quote.course)
    label = uk_span(*days[0])
    if len(days) > 1:
        label += f" (and the next {len(days) - 1} working day{'s' if len(days) > 2 else ''})"
    return label


def proposed_dates_text(quote):
    """Each proposed date on a line, or that dates are to be agreed."""
    if quote.dates_to_be_agreed:
        return TO_BE_AGREED
    return "\n".join(date_choice_label(quote, date) for date in quote.proposed_dates.all())


def chosen_date_text(quote):
    if quote.chosen_date_id:
        return days_text(quote.chosen_date.days(quote.course))
    if quote.host_booking_id:
        session = quote.host_booking.session
        return days_text([(day.starts_at, day.ends_at) for day in session.days.all()])
    return TO_BE_AGREED


def po_text(quote):
    if quote.purchase_order:
        return f"Purchase order {quote.purchase_order}"
    return "PO to follow: please send us the purchase order number when you have it"


def group_text(quote):
    return f"Up to {quote.delegates} delegate{'s' if quote.delegates != 1 else ''}"
