"""The client accepts a quote on its signed link; staff schedule one accepted with dates to be
agreed. Accepting records who, when and which version, moves the lead to won, tells its owner
and creates the in-house session (booking.services.in_house_session_create), all or nothing."""

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from phonenumber_field.phonenumber import to_python

from booking.models import OrganisationType, purchase_order_validator
from core import business_hours
from core.templatetags.uk import uk_date, uk_datetime
from enquiries.models import LeadActivity, LeadStatus
from enquiries.services import lead_change_status

from .. import notifications
from ..models import QuoteStatus, course_days
from .drafting import lock_versions

# in_house_session_create's fields, as the acceptance form names them.
FORM_FIELDS = {
    "contact_name": "name",
    "contact_email": "email",
    "contact_phone": "phone",
    "job_title": "job_title",
    "purchase_order": "purchase_order",
    "po_to_follow": "po_to_follow",
    "invoice_address": "invoice_address",
}


def acceptance_refusal(quote, *, today=None):
    """Why this version cannot be accepted now, in words for the client; None if it can."""
    if quote.status == QuoteStatus.ACCEPTED:
        return f"This quote was accepted on {uk_datetime(quote.accepted_at)} by {quote.accepted_by_name}."
    if quote.status == QuoteStatus.SUPERSEDED:
        return (
            "A newer version of this quote has been sent, so this one can no longer be accepted. "
            "Please use the link in the email with the newer version, or ask us to call you."
        )
    if quote.status != QuoteStatus.SENT:
        return "This quote has not been sent."
    if quote.is_expired(today):
        return (
            f"This quote expired on {quote.valid_until_text}, so it can no longer be accepted. "
            "Ask us for a new one: we can call you back."
        )
    return None


def _check_details(*, name, job_title, email, phone, purchase_order, po_to_follow, invoice_address):
    errors = {}
    if not name:
        errors["name"] = "Enter your name"
    if not job_title:
        errors["job_title"] = "Enter your job title"
    if not email:
        errors["email"] = "Enter your email address"
    else:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors["email"] = "Enter an email address in the correct format, like name@example.com"
    number = to_python(phone, region="GB") if phone else None
    if not phone:
        errors["phone"] = "Enter your phone number"
    elif number is None or not number.is_valid() or number.country_code != 44:
        errors["phone"] = "Enter a UK phone number, like 01473 555012 or 07911 123456"
    if purchase_order and po_to_follow:
        errors["po_to_follow"] = "Give a purchase order number or choose 'PO to follow', not both"
    elif not purchase_order and not po_to_follow:
        errors["purchase_order"] = "Give a purchase order number, or choose 'PO to follow' if you will send it later"
    elif purchase_order:
        try:
            purchase_order_validator(purchase_order)
        except ValidationError as exc:
            errors["purchase_order"] = exc.messages[0]
    if not invoice_address:
        errors["invoice_address"] = "Enter the invoice address"
    return errors


@transaction.atomic
def quote_accept(
    *,
    quote,
    name,
    job_title,
    email,
    phone="",
    purchase_order="",
    po_to_follow=False,
    invoice_address,
    proposed_date=None,
    actor=None,
):
    """Accept a sent quote for the client, who becomes the course's coordinator. Refused with a
    clear message and nothing changed (ValidationError: field by field for the details, a
    whole-quote message when it is expired, superseded or already accepted) also when two
    acceptances race: the quote's row is locked. `proposed_date` is one of the quote's proposed
    dates (None when the dates are to be agreed); without a `phone` the lead's number is used.
    Returns the quote."""
    quote = lock_versions(quote)
    refusal = acceptance_refusal(quote)
    if refusal:
        raise ValidationError(refusal, code="not_acceptable")
    name, job_title, email = (name or "").strip(), (job_title or "").strip(), (email or "").strip()
    purchase_order, invoice_address = (purchase_order or "").strip(), (invoice_address or "").strip()
    phone = (phone or "").strip() or (quote.lead.phone.as_national if quote.lead.phone else "")
    errors = _check_details(
        name=name, job_title=job_title, email=email, phone=phone, purchase_order=purchase_order,
        po_to_follow=po_to_follow, invoice_address=invoice_address,
    )  # fmt: skip
    chosen = None
    if not quote.dates_to_be_agreed:
        chosen = quote.proposed_dates.filter(pk=getattr(proposed_date, "pk", proposed_date)).first()
        if proposed_date is None or chosen is None:
            errors["proposed_date"] = "Choose one of the proposed dates"
        elif chosen.starts_at <= timezone.now():
            errors["proposed_date"] = "That date has passed: choose another date, or ask us to call you"
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    quote.status = QuoteStatus.ACCEPTED
    quote.accepted_at = now
    quote.accepted_by_name = name
    quote.accepted_by_job_title = job_title
    quote.accepted_by_email = email
    quote.accepted_by_phone = phone
    quote.purchase_order = purchase_order
    quote.po_to_follow = not purchase_order
    quote.invoice_address = invoice_address
    quote.chosen_date = chosen
    quote.full_clean()
    quote.save()

    lead = quote.lead
    actor = actor or f"client: {name} (quote link)"
    if lead.status != LeadStatus.WON:
        # Won first, so a booking service that wins open leads by the booker's address finds it closed.
        lead = lead_change_status(lead=lead, status=LeadStatus.WON)
    text = (
        f"Quote {quote.number} version {quote.version} accepted by {name}, {job_title} ({email}); "
        f"{'PO ' + purchase_order if purchase_order else 'PO to follow'}; "
        + (f"starting {uk_datetime(chosen.starts_at)}." if chosen else "dates to be agreed.")
    )
    LeadActivity.objects.create(lead=lead, kind=LeadActivity.Kind.NOTE, text=text, created_at=now)
    if chosen is not None:
        try:
            _schedule(quote, course_days(quote.course, chosen.starts_at), actor=actor)
        except ValidationError as exc:
            raise _for_the_client(exc, chosen) from None
    notifications.quote_accepted(quote)
    return quote


def _for_the_client(exc, chosen):
    """The in-house session's refusal in the acceptance form's terms."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    if "trainer" in errors:
        return ValidationError(
            {
                "proposed_date": (
                    f"Our trainer is no longer free on {uk_date(chosen.starts_at)}. "
                    "Choose another date, or ask us to call you back."
                )
            }
        )
    renamed = {}
    for field, messages in errors.items():
        renamed.setdefault(FORM_FIELDS.get(field, "__all__"), []).extend(messages)
    return ValidationError(renamed)


def _schedule(quote, days, *, actor):
    """The in-house session and its host booking for an accepted quote, linked to its lead."""
    from booking.services.in_house import in_house_session_create

    lead = quote.lead
    booking = in_house_session_create(
        course=quote.course,
        days=days,
        capacity=quote.delegates,
        trainer=quote.trainer,
        organisation=quote.organisation,
        organisation_type=lead.organisation_type or OrganisationType.OTHER,
        site_name=quote.site_name,
        site_address=quote.site_address,
        site_town=quote.site_town,
        site_postcode=quote.site_postcode,
        contact_name=quote.accepted_by_name,
        contact_email=quote.accepted_by_email,
        contact_phone=quote.accepted_by_phone or lead.phone,
        job_title=quote.accepted_by_job_title,
        invoice_address=quote.invoice_address,
        purchase_order=quote.purchase_order,
        po_to_follow=quote.po_to_follow,
        agreed_lines=agreed_lines(quote),
        actor=actor,
        terms_version=quote.terms_version,
    )
    quote.host_booking = booking
    quote.save(update_fields=["host_booking", "updated_at"])
    lead.bookings.add(booking)
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.BOOKING,
        text=f"In-house course booked from quote {quote.number} v{quote.version}: {booking.session} "
        f"(booking {booking.reference}).",
    )
    return booking


def agreed_lines(quote):
    """The quote's lines as the host booking's agreed price (a discount as a negative price)."""
    return [
        {
            "description": line.description,
            "quantity": line.quantity_text,
            "unit_price": f"{line.signed_unit_price:f}",
        }
        for line in quote.lines.all()
    ]


@transaction.atomic
def quote_schedule(*, quote, starts_at, user):
    """Staff schedule the in-house session of a quote accepted with dates to be agreed, on the
    date agreed with the client: the course's days from `starts_at`. Refused (nothing changed)
    for a date in the past or not a working day, and when the trainer is not free then.
    Returns the host booking."""
    quote = lock_versions(quote)
    if quote.status != QuoteStatus.ACCEPTED:
        raise ValidationError("Only an accepted quote can be scheduled.", code="not_accepted")
    if quote.host_booking_id:
        raise ValidationError("This quote's course is already scheduled.", code="scheduled")
    if starts_at is None or starts_at <= timezone.now():
        raise ValidationError({"starts_at": "Choose a start in the future."})
    if not business_hours.is_working_day(timezone.localtime(starts_at).date()):
        raise ValidationError({"starts_at": "Choose a working day (Monday to Friday, not a bank holiday)."})
    booking = _schedule(quote, course_days(quote.course, starts_at), actor=user.get_username())
    LeadActivity.objects.create(
        lead=quote.lead,
        kind=LeadActivity.Kind.NOTE,
        text=f"Date agreed for quote {quote.number}: {uk_datetime(starts_at)}.",
        author=user,
    )
    return booking
