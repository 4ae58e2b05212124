"""Personal data: erasure of one person on request, and the subject-access export (retention is
in retention.py). Every request answered is recorded as a
DataRequest, which holds counts and references, never the personal data itself.

What an erasure keeps: bookings and their delegate rows, the emails sent about a booking,
accepted quotes, and invoices and credit notes. They are contract and accounting records (HMRC
asks for invoices to be kept six years) that we must keep whatever the request; the
confirmation page lists them so staff can tell the person. Quotes never accepted are emptied
with their lead (retention._anonymise_quotes).
"""

from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outbox.models import OutboundEmail

from ..models import (
    DataRequest,
    Lead,
    LeadActivity,
    NewsletterSubscriber,
)
from .common import _activity
from .retention import ERASED, _anonymise_emails, _anonymise_leads

# Finding one person ---------------------------------------------------------------------------


def uk_phone(text):
    """The stored (E.164) form of a UK number as typed (01473 555012, +44 ...), or None."""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.country_code != 44:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _emails_to(addresses):
    """Outbox rows sent to any of these addresses. The text search finds candidates; only exact
    addresses count (jo@ is not banjo@)."""
    wanted = {address.lower() for address in addresses if address}
    if not wanted:
        return OutboundEmail.objects.none()
    match = Q()
    for address in wanted:
        match |= Q(recipients__icontains=address)
    ids = [
        pk for pk, to in OutboundEmail.objects.filter(match).values_list("pk", "to") if wanted & {a.lower() for a in to}
    ]
    return OutboundEmail.objects.filter(pk__in=ids)


def _matched_by(email, phone):
    return ", ".join(name for name, value in (("email", email), ("phone", phone)) if value)


# Erasure ------------------------------------------------------------------------------------------


@dataclass
class ErasurePlan:
    """What erasing the person behind one lead touches: what is anonymised or deleted, what is
    kept (bookings and delegate rows) and which matched leads staff left out. Shown on the
    confirmation page, then recorded."""

    lead: Lead
    matched_by: str
    leads: list = field(default_factory=list)
    left_out: list = field(default_factory=list)
    subscribers: list = field(default_factory=list)
    email_ids: list = field(default_factory=list)
    bookings_kept: list = field(default_factory=list)
    delegates_kept: list = field(default_factory=list)
    quotes_kept: list = field(default_factory=list)
    invoices_kept: list = field(default_factory=list)

    def found_by(self, other):
        """What `other` shares with the lead: ["email"], ["phone"] or both ([] for the lead)."""
        if other.pk == self.lead.pk:
            return []
        email = self.lead.email.strip().lower()
        return [
            name
            for name, same in (
                ("email", email and other.email.strip().lower() == email),
                ("phone", self.lead.phone and other.phone == self.lead.phone),
            )
            if same
        ]

    def doubtful(self, other):
        """Found only by phone, with another email address: a shared number (a switchboard, an
        office line) may be a colleague's."""
        return self.found_by(other) == ["phone"] and bool(other.email and self.lead.email)

    @property
    def counts(self):
        return {
            "leads": len(self.leads),
            "leads_left_out": len(self.left_out),
            "newsletter": len(self.subscribers),
            "emails": len(self.email_ids),
            "bookings_kept": len(self.bookings_kept),
            "delegate_rows_kept": len(self.delegates_kept),
            "quotes_kept": len(self.quotes_kept),
            "invoices_kept": len(self.invoices_kept),
        }

    @property
    def references(self):
        return [
            *(f"lead {lead.reference}" for lead in self.leads),
            *(f"lead {lead.reference} (left out: not the same person)" for lead in self.left_out),
            *(f"newsletter subscriber {s.pk} (deleted)" for s in self.subscribers),
            *(f"email {pk}" for pk in self.email_ids),
            *(f"booking {b.reference} (kept)" for b in self.bookings_kept),
            *(f"delegate {d.pk} on booking {d.booking.reference} (kept)" for d in self.delegates_kept),
            *(f"quote {q.number} version {q.version} (accepted: kept)" for q in self.quotes_kept),
            *(f"{i.get_kind_display().lower()} {i.number} (kept)" for i in self.invoices_kept),
        ]


def person_erase_plan(*, lead, confirmed=None):
    """The person is found by this lead's email (any case) and phone, one step only: the leads
    found are not searched again by their own addresses, so a shared number cannot spread an
    erasure through a whole organisation. `confirmed` (lead ids) narrows the matched leads to
    those staff confirmed are this person's; the lead itself always counts."""
    from booking.models import Booking, Delegate
    from invoicing.models import Invoice
    from quotes.models import Quote, QuoteStatus

    email, phone = lead.email.strip(), lead.phone or ""
    match = Q(pk=lead.pk)
    if email:
        match |= Q(email__iexact=email)
    if phone:
        match |= Q(phone=phone)
    plan = ErasurePlan(lead=lead, matched_by=_matched_by(email, phone) or "reference")
    for other in Lead.objects.filter(match, anonymised_at__isnull=True).order_by("created_at", "pk"):
        chosen = confirmed is None or other.pk == lead.pk or other.pk in confirmed
        (plan.leads if chosen else plan.left_out).append(other)
    if email:
        plan.subscribers = list(NewsletterSubscriber.objects.filter(email__iexact=email))
        plan.delegates_kept = list(Delegate.objects.filter(email__iexact=email).select_related("booking"))
    bookings = (Q(contact_email__iexact=email) if email else Q()) | (Q(contact_phone=phone) if phone else Q())
    if bookings:
        plan.bookings_kept = list(Booking.objects.filter(bookings).order_by("created_at"))
    plan.quotes_kept = list(
        Quote.objects.filter(lead__in=[lead.pk for lead in plan.leads], status=QuoteStatus.ACCEPTED).order_by("pk")
    )
    if email:
        plan.invoices_kept = list(Invoice.objects.filter(buyer_email__iexact=email).order_by("pk"))
    # Emails about these leads, and to this address unless sent about a booking (kept with it).
    emails = OutboundEmail.objects.filter(lead__in=[lead.pk for lead in plan.leads])
    emails |= _emails_to([email]).filter(booking__isnull=True)
    plan.email_ids = sorted(emails.values_list("pk", flat=True).distinct())
    return plan


@transaction.atomic
def person_erase(*, lead, reason, actor, confirmed=None):
    """Anonymise now everything held about the person behind `lead` that we need not keep (see
    person_erase_plan and the module's note on bookings), and record the request. `confirmed`:
    the matched leads' ids staff confirmed (the confirmation page); None erases every match.
    All or nothing. Returns the DataRequest."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for erasing this person's data."})
    if len(reason) > 300:
        raise ValidationError({"reason": "Keep the reason to 300 characters."})
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.anonymised_at:
        raise ValidationError("This lead's personal data has already been removed.", code="lead_anonymised")
    now = timezone.now()
    plan = person_erase_plan(lead=lead, confirmed=None if confirmed is None else set(confirmed))
    request = DataRequest(
        kind=DataRequest.Kind.ERASURE,
        reason=reason,
        matched_by=plan.matched_by,
        counts=plan.counts,
        references=plan.references,
        actor=actor,
        created_at=now,
    )
    request.full_clean()
    for erased in _anonymise_leads([lead.pk for lead in plan.leads], now=now, reason=reason, actor=actor):
        # After the clearing, so it stays; the reason is the staff's words, never the person's data.
        _activity(erased, LeadActivity.Kind.PERSONAL_DATA, f"{ERASED}: {reason}", actor=actor, when=now)
    _anonymise_emails(OutboundEmail.objects.filter(pk__in=plan.email_ids))
    NewsletterSubscriber.objects.filter(pk__in=[s.pk for s in plan.subscribers]).delete()
    request.save()
    return request


# Subject access -----------------------------------------------------------------------------------


def _clean_person(email, phone):
    errors = {}
    email, phone_text = (email or "").strip(), (phone or "").strip()
    if not email and not phone_text:
        raise ValidationError({"email": "Enter an email address or a UK phone number."})
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter an email address in the correct format, like name@example.com."
    phone = uk_phone(phone_text) if phone_text and len(phone_text) <= 30 else None
    if phone_text and phone is None:
        errors["phone"] = "Enter a UK phone number, like 01473 555012, 07911 123456 or +44 20 7946 0000."
    if errors:
        raise ValidationError(errors)
    return email, phone


def personal_data_export(*, email=None, phone=None, actor=None):
    """Everything held about one person, as plain data (a subject access request), found by an
    email address (any case) or a UK phone number, or either. A phone number finds leads and
    bookings; the addresses on those then find the delegate places, newsletter records and
    emails, which carry no phone. Staff check every record is the requester's before sending.
    Records the request (kind "access")."""
    from booking.models import Booking, Delegate

    email, phone = _clean_person(email, phone)

    def when(value):
        return timezone.localtime(value).isoformat() if value else None

    leads_q, bookings_q = Q(), Q()
    if email:
        leads_q |= Q(email__iexact=email)
        bookings_q |= Q(contact_email__iexact=email)
    if phone:
        leads_q |= Q(phone=phone)
        bookings_q |= Q(contact_phone=phone)
    leads = list(Lead.objects.filter(leads_q).prefetch_related("activities", "courses"))
    bookings = list(Booking.objects.filter(bookings_q).select_related("session__course"))
    addresses = {email.lower()} if email else set()
    addresses |= {lead.email.lower() for lead in leads if lead.email}
    addresses |= {booking.contact_email.lower() for booking in bookings}
    address_q = Q()
    for address in addresses:
        address_q |= Q(email__iexact=address)
    delegate_places = list(
        Delegate.objects.filter(address_q).select_related("booking__session__course") if address_q else []
    )
    subscribers = list(NewsletterSubscriber.objects.filter(address_q) if address_q else [])
    emails = list(_emails_to(addresses).order_by("created_at", "pk"))
    quotes, invoices = _quotes_and_invoices(leads, addresses)

    data_request = DataRequest.objects.create(
        kind=DataRequest.Kind.ACCESS,
        matched_by=_matched_by(email, phone),
        counts={
            "leads": len(leads),
            "bookings": len(bookings),
            "delegate_rows": len(delegate_places),
            "newsletter": len(subscribers),
            "emails": len(emails),
            "quotes": len(quotes),
            "invoices": len(invoices),
        },
        references=[
            *(f"lead {lead.reference}" for lead in leads),
            *(f"booking {b.reference}" for b in bookings),
            *(f"delegate {d.pk} on booking {d.booking.reference}" for d in delegate_places),
            *(f"newsletter subscriber {s.pk}" for s in subscribers),
            *(f"email {e.pk}" for e in emails),
            *(f"quote {q.number or q.pk} version {q.version}" for q in quotes),
            *(f"{i.get_kind_display().lower()} {i.number}" for i in invoices),
        ],
        actor=actor,
    )
    return {
        "email": email or None,
        "phone": phone,
        "addresses_found": sorted(addresses),
        "exported_at": when(data_request.created_at),
        "leads": [
            {
                "reference": lead.reference,
                "type": lead.lead_type,
                "status": lead.status,
                "name": lead.name,
                "job_title": lead.job_title,
                "organisation": lead.organisation,
                "email": lead.email,
                "phone": str(lead.phone or ""),
                "message": lead.message,
                "courses": [course.title for course in lead.courses.all()],
                "consent_at": when(lead.consent_at),
                "privacy_notice_version": lead.privacy_notice_version,
                "created_at": when(lead.created_at),
                "anonymised_at": when(lead.anonymised_at),
                "timeline": [
                    {"at": when(a.created_at), "kind": a.kind, "outcome": a.outcome, "text": a.text}
                    for a in lead.activities.all()
                ],
            }
            for lead in leads
        ],
        "bookings_made": [
            {
                "reference": b.reference,
                "course": b.session.course.title,
                "status": b.status,
                "name": b.contact_name,
                "email": b.contact_email,
                "phone": str(b.contact_phone),
                "job_title": b.job_title,
                "organisation": b.organisation,
                "invoice_address": b.invoice_address,
                "created_at": when(b.created_at),
            }
            for b in bookings
        ],
        "places_as_delegate": [
            {
                "booking": d.booking.reference,
                "course": d.booking.session.course.title,
                "name": d.name,
                "email": d.email,
                "job_role": d.job_role,
                "adjustments": d.adjustments,
            }
            for d in delegate_places
        ],
        "newsletter": [
            {
                "email": s.email,
                "status": s.status,
                "name": s.name,
                "consent_at": when(s.consent_at),
                "confirmed_at": when(s.confirmed_at),
                "unsubscribed_at": when(s.unsubscribed_at),
            }
            for s in subscribers
        ],
        "emails_sent": [
            {"at": when(e.created_at), "to": e.to, "kind": e.kind, "subject": e.subject, "status": e.status}
            for e in emails
        ],
        "quotes": [
            {
                "number": q.number,
                "version": q.version,
                "status": q.status,
                "for": q.contact_name,
                "email": q.contact_email,
                "organisation": q.organisation,
                "accepted_by": q.accepted_by_name,
                "accepted_by_job_title": q.accepted_by_job_title,
                "accepted_by_email": q.accepted_by_email,
                "accepted_by_phone": q.accepted_by_phone,
                "invoice_address": q.invoice_address,
                "accepted_at": when(q.accepted_at),
            }
            for q in quotes
        ],
        "invoices": [
            {
                "number": i.number,
                "kind": i.kind,
                "name": i.buyer_contact_name,
                "email": i.buyer_email,
                "organisation": i.buyer_organisation,
                "address": i.buyer_address,
                "purchase_order": i.purchase_order,
                "issued_at": when(i.issued_at),
            }
            for i in invoices
        ],
    }


def _quotes_and_invoices(leads, addresses):
    """Quotes made for these leads or sent to or accepted by these addresses; invoices and
    credit notes sent to them."""
    from invoicing.models import Invoice
    from quotes.models import Quote

    quotes_q, invoices_q = Q(lead__in=[lead.pk for lead in leads]), Q(pk__in=[])
    for address in addresses:
        quotes_q |= Q(contact_email__iexact=address) | Q(accepted_by_email__iexact=address)
        invoices_q |= Q(buyer_email__iexact=address)
    return list(Quote.objects.filter(quotes_q).order_by("pk")), list(Invoice.objects.filter(invoices_q).order_by("pk"))
