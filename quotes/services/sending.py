"""Sending a quote: checked, numbered, frozen, emailed with its PDF and signed link; the version it
replaces is superseded, and the lead moves to "proposal sent" with the send on its timeline."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import business_hours
from core.templatetags.uk import gbp, uk_date, uk_datetime
from enquiries.models import LeadActivity, LeadStatus
from enquiries.services import lead_change_status

from .. import notifications
from ..models import Quote, QuoteCounter, QuoteStatus
from .drafting import lock_versions


def quote_send_problems(quote, *, now=None):
    """What stops the draft being sent, as {field: [messages]} (empty when it can go)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    lines = list(quote.lines.all())
    if not lines:
        add("lines", "Add at least one line to the quote")
    for number, line in enumerate(lines, start=1):
        if line.unit_price < 0:
            add("lines", f"Line {number}: a price cannot be negative; enter a discount as a positive amount")
    if lines and quote.totals(lines)["net"] < 0:
        add("lines", "The total cannot be negative: make the discount smaller")
    if quote.valid_until is None or quote.valid_until <= today:
        add("valid_until", "Choose a valid-until date in the future")
    dates = list(quote.proposed_dates.all())
    if quote.dates_to_be_agreed and dates:
        add("proposed_dates", "Either propose dates or tick 'dates to be agreed', not both")
    elif not quote.dates_to_be_agreed and not dates:
        add("proposed_dates", "Propose at least one date, or tick 'dates to be agreed'")
    for date in dates:
        if date.starts_at <= now:
            add("proposed_dates", f"{uk_datetime(date.starts_at)} has passed: propose dates in the future")
        elif not business_hours.is_working_day(timezone.localtime(date.starts_at).date()):
            add("proposed_dates", f"{uk_date(date.starts_at)} is not a working day: choose a weekday")
    for message in _trainer_problems(quote, [date for date in dates if date.starts_at > now]):
        if message not in errors.get("trainer", []):
            add("trainer", message)
    for field, message in [
        ("contact_email", "Enter the email address to send the quote to"),
        ("site_name", "Enter the name of the training site"),
        ("site_town", "Enter the town of the training site"),
        ("site_postcode", "Enter the postcode of the training site"),
    ]:
        if not getattr(quote, field).strip():
            add(field, message)
    return errors


def _trainer_problems(quote, dates):
    """Why the proposed trainer cannot do the course on the proposed dates (the clash rule of
    trainers/services.py); checked again, under the trainer's lock, when the client accepts."""
    from trainers.services import trainer_check_free

    if quote.trainer is None:
        return []
    spans = [date.days(quote.course) for date in dates] or [[]]
    problems = []
    for days in spans:
        try:
            trainer_check_free(trainer=quote.trainer, days=days, course=quote.course)
        except ValidationError as exc:
            problems += exc.message_dict.get("trainer", exc.messages)
    return problems


def _next_number():
    counter, _ = QuoteCounter.objects.select_for_update().get_or_create(pk=1)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"Q-{counter.last:05d}"


@transaction.atomic
def quote_send(*, quote, user):
    """Send a draft to the client. Refused (ValidationError by field, nothing changed) when it
    has no lines, a negative price or total, a past valid-until date, or proposed dates in the
    past (and no 'to be agreed'). The first version gets the next number; a later version
    supersedes the one sent before. Returns the quote."""
    quote = lock_versions(quote)
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError("This quote has already been sent.", code="already_sent")
    earlier = []
    if quote.number:
        earlier = list(Quote.objects.select_for_update().filter(number=quote.number).exclude(pk=quote.pk))
        accepted = next((other for other in earlier if other.status == QuoteStatus.ACCEPTED), None)
        if accepted is not None:
            raise ValidationError(
                f"Version {accepted.version} of this quote has been accepted, so this version cannot be sent.",
                code="accepted",
            )
    now = timezone.now()
    errors = quote_send_problems(quote, now=now)
    if errors:
        raise ValidationError(errors)
    if not quote.number:
        quote.number = _next_number()
    quote.status = QuoteStatus.SENT
    quote.sent_at = now
    quote.sent_by = user
    quote.vat_rate = settings.VAT_RATE  # the rate when sent is the rate quoted
    quote.full_clean()
    quote.save()
    replaced = [other for other in earlier if other.status == QuoteStatus.SENT]
    Quote.objects.filter(pk__in=[other.pk for other in replaced]).update(status=QuoteStatus.SUPERSEDED, updated_at=now)

    lead = quote.lead
    if lead.status not in (LeadStatus.PROPOSAL_SENT, LeadStatus.WON):
        lead = lead_change_status(lead=lead, status=LeadStatus.PROPOSAL_SENT, actor=user)
    totals = quote.totals()
    text = (
        f"Quote {quote.number} version {quote.version} sent to {quote.contact_email}: {quote.course.title}, "
        f"{gbp(totals['net'])} + VAT ({gbp(totals['gross'])} including VAT), valid until {quote.valid_until_text}."
    )
    if replaced:
        text += " It replaces version " + ", ".join(str(other.version) for other in replaced) + "."
    LeadActivity.objects.create(lead=lead, kind=LeadActivity.Kind.EMAIL, text=text, author=user, created_at=now)
    notifications.quote_sent(quote, replaced=replaced)
    return quote
