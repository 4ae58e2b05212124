"""Drafting a quote: made from a lead (prefilled from it), its lines and proposed dates edited while
it is a draft, and a new version of a sent quote to change it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from ..models import (
    LineKind,
    ProposedDate,
    Quote,
    QuoteLine,
    QuoteStatus,
    default_terms_version,
    default_valid_until,
)

# What staff may change on a draft (the rest is the services' own: number, status, acceptance).
EDITABLE_FIELDS = [
    "contact_name",
    "contact_email",
    "organisation",
    "course",
    "delegates",
    "trainer",
    "site_name",
    "site_address",
    "site_town",
    "site_postcode",
    "dates_to_be_agreed",
    "valid_until",
    "terms_version",
    "notes",
]
LINE_FIELDS = ["kind", "description", "quantity", "unit_price", "course", "position"]
# The usual in-house group: a bigger team is quoted for several sessions.
DEFAULT_GROUP = 12
LARGEST_GROUP = 16

NOT_A_DRAFT = "This quote has been sent, so it can no longer be changed: make a new version instead."


def quote_prefill(lead):
    """A new quote's details from the lead: who it is for, the first course they asked about, how
    many people (up to a usual group) and where."""
    course = lead.courses.order_by("title").first() if lead.pk else None
    group = min(lead.staff_count, LARGEST_GROUP) if lead.staff_count else DEFAULT_GROUP
    return {
        "contact_name": lead.name,
        "contact_email": lead.email,
        "organisation": lead.organisation or lead.name,
        "course": course,
        "delegates": group,
        "site_name": lead.organisation,
        "site_town": lead.preferred_town,
        "valid_until": default_valid_until(),
        "terms_version": default_terms_version(),
    }


def _check_lead(lead):
    if lead.anonymised_at:
        raise ValidationError(
            {"lead": "This lead's personal data was removed under the retention policy; it cannot be quoted."}
        )


@transaction.atomic
def quote_create(*, lead, user, lines=(), proposed_dates=(), **fields):
    """A draft quote for the lead, prefilled from it; `fields` (EDITABLE_FIELDS) override the
    prefill. `lines` are dicts of LINE_FIELDS, `proposed_dates` aware datetimes. Returns the quote."""
    _check_lead(lead)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not fields of a draft quote: {sorted(unknown)}")
    values = {**quote_prefill(lead), **{name: value for name, value in fields.items() if value is not None}}
    if values.get("course") is None:
        raise ValidationError({"course": "Choose the course to quote for."})
    quote = Quote(lead=lead, created_by=user, **values)
    _clean_text(quote)
    quote.full_clean()
    quote.save()
    for position, line in enumerate(lines, start=1):
        _line_save(QuoteLine(quote=quote, position=position), line)
    for starts_at in proposed_dates:
        _date_save(quote, starts_at)
    return quote


def _clean_text(quote):
    for name in ["contact_name", "contact_email", "organisation", "site_name", "site_address", "site_town", "notes"]:
        setattr(quote, name, (getattr(quote, name) or "").strip())
    quote.site_postcode = (quote.site_postcode or "").strip().upper()


def lock_versions(quote):
    """Lock every version of the quote (all sharing its number), always in pk order and only the
    quotes' own rows (not their lead or course), so that sending one version while the client
    accepts another waits instead of deadlocking. Returns the fresh row of `quote`."""
    number = Quote.objects.filter(pk=quote.pk).values_list("number", flat=True).first()
    rows = Quote.objects.select_for_update(of=("self",)).order_by("pk")
    locked = {row.pk: row for row in (rows.filter(number=number) if number else rows.filter(pk=quote.pk))}
    if quote.pk not in locked:
        raise Quote.DoesNotExist(f"No quote {quote.pk}.")
    return locked[quote.pk]


def lock_draft(quote):
    """The quote, locked for this transaction; refused unless it is still a draft."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError(NOT_A_DRAFT, code="not_draft")
    return quote


@transaction.atomic
def quote_update(*, quote, user=None, **fields):
    """Change a draft's details (EDITABLE_FIELDS)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not fields of a draft quote: {sorted(unknown)}")
    quote = lock_draft(quote)
    for name, value in fields.items():
        setattr(quote, name, value)
    _clean_text(quote)
    quote.full_clean()
    quote.save()
    return quote


def _line_save(line, data):
    unknown = set(data) - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"Not fields of a quote line: {sorted(unknown)}")
    for name, value in data.items():
        setattr(line, name, value)
    line.description = (line.description or "").strip()
    if line.kind == LineKind.COURSE_DAYS and line.course_id is None:
        line.course = line.quote.course
    line.full_clean()
    line.save()
    return line


@transaction.atomic
def quote_line_add(*, quote, kind, description, quantity, unit_price, course=None, position=None):
    """A line on a draft: course days (days × day rate), per delegate (delegates × price),
    travel, materials or a discount (a positive amount taken off). Returns the line."""
    quote = lock_draft(quote)
    if position is None:
        position = (quote.lines.aggregate(last=Max("position"))["last"] or 0) + 1
    line = QuoteLine(quote=quote, position=position)
    data = {"kind": kind, "description": description, "quantity": quantity, "unit_price": unit_price}
    if course is not None:
        data["course"] = course
    return _line_save(line, data)


@transaction.atomic
def quote_line_update(*, line, **fields):
    lock_draft(line.quote)
    return _line_save(QuoteLine.objects.get(pk=line.pk), fields)


@transaction.atomic
def quote_line_remove(*, line):
    lock_draft(line.quote)
    QuoteLine.objects.filter(pk=line.pk).delete()


def _date_save(quote, starts_at, date=None):
    date = date or ProposedDate(quote=quote)
    date.starts_at = starts_at
    date.full_clean()
    date.save()
    return date


@transaction.atomic
def quote_date_add(*, quote, starts_at):
    """A start the client may choose (checked when the quote is sent: in the future, a working day)."""
    quote = lock_draft(quote)
    return _date_save(quote, starts_at)


@transaction.atomic
def quote_date_update(*, date, starts_at):
    lock_draft(date.quote)
    return _date_save(date.quote, starts_at, ProposedDate.objects.get(pk=date.pk))


@transaction.atomic
def quote_date_remove(*, date):
    lock_draft(date.quote)
    ProposedDate.objects.filter(pk=date.pk).delete()


@transaction.atomic
def quote_new_version(*, quote, user):
    """A draft of the next version of a sent quote: its lines and proposed dates copied, valid for
    QUOTE_VALID_DAYS from today. Sending it supersedes the version sent before. If the next
    version is already being drafted, that draft is returned."""
    quote = lock_versions(quote)
    if quote.status == QuoteStatus.DRAFT:
        raise ValidationError("This quote is still a draft: change it and send it.", code="draft")
    if quote.status == QuoteStatus.ACCEPTED:
        raise ValidationError("This quote has been accepted, so it cannot be changed.", code="accepted")
    family = Quote.objects.select_for_update().filter(number=quote.number).order_by("version")
    family = list(family)
    draft = next((other for other in family if other.status == QuoteStatus.DRAFT), None)
    if draft is not None:
        return draft
    if any(other.status == QuoteStatus.ACCEPTED for other in family):
        raise ValidationError("Another version of this quote has been accepted, so it cannot be changed.")
    latest = family[-1]
    if quote.status == QuoteStatus.SUPERSEDED:
        raise ValidationError(
            f"Version {latest.version} is the latest: make the new version from it.", code="superseded"
        )
    new = Quote(
        lead=quote.lead,
        number=quote.number,
        version=latest.version + 1,
        created_by=user,
        valid_until=default_valid_until(),
        **{name: getattr(quote, name) for name in EDITABLE_FIELDS if name != "valid_until"},
    )
    new.full_clean()
    new.save()
    QuoteLine.objects.bulk_create(
        QuoteLine(quote=new, **{name: getattr(line, name) for name in LINE_FIELDS}) for line in quote.lines.all()
    )
    ProposedDate.objects.bulk_create(
        ProposedDate(quote=new, starts_at=date.starts_at) for date in quote.proposed_dates.all()
    )
    return new
