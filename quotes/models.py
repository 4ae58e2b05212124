"""Quotes for in-house training: versions of one numbered quote, their lines and proposed dates,
and the client's acceptance.

A quote is built from a lead as a draft, numbered when first sent ("Q-00042"), and never edited
once sent: a change is a new version with the same number, and sending it supersedes the one
before. The rules (what may be sent, who may accept and when) live in quotes/services/.
"""

import math
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from booking.models import INVOICE_ADDRESS_MAX, purchase_order_validator
from core import business_hours
from core.money import money
from core.templatetags.uk import signed_gbp
from courses.models import Course

# A proposed date starts at its time on each working day; a full day runs 7 hours (09:30-16:30),
# a half day 3 hours 30 minutes (09:30-13:00).
FULL_DAY = timedelta(hours=7)
HALF_DAY = timedelta(hours=3, minutes=30)
MAX_DELEGATES = 30  # a trainer's room; the usual in-house group is 12-16


def new_signing_key():
    return secrets.token_urlsafe(12)


def default_valid_until():
    return timezone.localdate() + timedelta(days=settings.QUOTE_VALID_DAYS)


def default_terms_version():
    return settings.QUOTE_TERMS_VERSION


def default_vat_rate():
    return settings.VAT_RATE


def day_text(day):
    """A date as pages and emails show it: Fri 13 February 2026."""
    return f"{day:%a} {day.day} {day:%B %Y}" if day else ""


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    SUPERSEDED = "superseded", "Superseded"
    ACCEPTED = "accepted", "Accepted"


class Quote(models.Model):
    lead = models.ForeignKey("enquiries.Lead", on_delete=models.PROTECT, related_name="quotes")
    # Shared by every version; given when the first version is sent (blank while a first draft).
    number = models.CharField(max_length=12, blank=True, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT, db_index=True)

    # Who it is for: taken from the lead when the quote is made, kept as sent.
    contact_name = models.CharField("for (name)", max_length=150)
    contact_email = models.EmailField("send to (email)")
    organisation = models.CharField(max_length=200)

    # What and where
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="quotes")
    delegates = models.PositiveSmallIntegerField(
        "delegates (up to)",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DELEGATES)],
        help_text="The most people on the course: the in-house session's capacity (usually 12-16).",
    )
    trainer = models.ForeignKey(
        "trainers.Trainer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quotes",
        help_text="The trainer proposed. Checked for clashes when the client accepts.",
    )
    site_name = models.CharField("training site", max_length=150, blank=True, help_text="For example Ipswich Hospital.")
    site_address = models.TextField("site address", blank=True, max_length=300)
    site_town = models.CharField("site town", max_length=100, blank=True)
    site_postcode = models.CharField("site postcode", max_length=10, blank=True)

    # Terms
    dates_to_be_agreed = models.BooleanField(
        "dates to be agreed",
        default=False,
        help_text="Tick instead of proposing dates: we agree them after acceptance.",
    )
    valid_until = models.DateField(default=default_valid_until)
    terms_version = models.CharField(max_length=20, default=default_terms_version)
    vat_rate = models.DecimalField("VAT rate", max_digits=4, decimal_places=3, default=default_vat_rate)
    notes = models.TextField(
        "notes for the client", blank=True, max_length=2000, help_text="Printed on the quote, below the lines."
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Part of the signed link (quotes/links.py).
    signing_key = models.CharField(max_length=24, default=new_signing_key, editable=False)

    # Acceptance, as the client gave it on the signed link.
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by_name = models.CharField("accepted by", max_length=150, blank=True)
    accepted_by_job_title = models.CharField("job title", max_length=150, blank=True)
    accepted_by_email = models.EmailField("email", blank=True)
    accepted_by_phone = models.CharField("phone", max_length=30, blank=True)
    purchase_order = models.CharField(
        "purchase order number", max_length=50, blank=True, validators=[purchase_order_validator]
    )
    po_to_follow = models.BooleanField("PO to follow", default=False)
    invoice_address = models.TextField(
        blank=True, max_length=INVOICE_ADDRESS_MAX, validators=[MaxLengthValidator(INVOICE_ADDRESS_MAX)]
    )
    chosen_date = models.ForeignKey("ProposedDate", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The in-house session's host booking, made on acceptance (or when staff schedule a quote
    # accepted with dates to be agreed).
    host_booking = models.ForeignKey(
        "booking.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="quotes"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["number", "version"], condition=~models.Q(number=""), name="quote_number_version_once"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | ~models.Q(number=""),
                name="sent_quote_has_number",
                violation_error_message="A quote that has been sent has a number.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="accepted") | ~models.Q(purchase_order="") | models.Q(po_to_follow=True),
                name="accepted_quote_has_po_or_po_to_follow",
                violation_error_message="Give a purchase order number or choose 'PO to follow'.",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        if not self.number:
            return f"Draft quote for {self.organisation or self.contact_name}"
        return f"{self.number} v{self.version}"

    @property
    def valid_until_text(self):
        """Fri 13 February 2026"""
        return day_text(self.valid_until)

    @property
    def is_draft(self):
        return self.status == QuoteStatus.DRAFT

    def is_expired(self, today=None):
        """Sent and past its last valid day (valid all through valid_until, London time)."""
        return self.status == QuoteStatus.SENT and (today or timezone.localdate()) > self.valid_until

    def state(self, today=None):
        """The status as people read it: expired is a sent quote past its date."""
        return "expired" if self.is_expired(today) else self.status

    def state_display(self, today=None):
        return "Expired" if self.is_expired(today) else self.get_status_display()

    def totals(self, lines=None):
        """Net, VAT and gross in pounds, from the lines (prefetched ones when given)."""
        lines = list(self.lines.all()) if lines is None else lines
        net = money(sum((line.amount for line in lines), Decimal("0")))
        vat = money(net * self.vat_rate)
        return {"net": net, "vat": vat, "gross": net + vat, "vat_percent": f"{(self.vat_rate * 100).normalize():f}%"}


class LineKind(models.TextChoices):
    COURSE_DAYS = "course_days", "Course days (days × day rate)"
    PER_DELEGATE = "per_delegate", "Per delegate (delegates × price)"
    TRAVEL = "travel", "Travel"
    MATERIALS = "materials", "Materials"
    DISCOUNT = "discount", "Discount"


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=15, choices=LineKind.choices)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), "Enter a quantity greater than zero.")],
        help_text="Days, delegates, or 1.",
    )
    unit_price = models.DecimalField(
        "unit price (GBP, excluding VAT)",
        max_digits=9,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0"), "A price cannot be negative: enter a discount as a positive amount.")
        ],
        help_text="Day rate, price per delegate or the amount. A discount is entered as a positive amount.",
    )
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0),
                name="quote_line_price_not_negative",
                violation_error_message="A price cannot be negative: enter a discount as a positive amount.",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0),
                name="quote_line_quantity_positive",
                violation_error_message="Enter a quantity greater than zero.",
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def amount(self):
        """quantity × unit price, negative for a discount, to the penny."""
        if self.quantity is None or self.unit_price is None:
            return Decimal("0.00")
        value = money(self.quantity * self.unit_price)
        return -value if self.kind == LineKind.DISCOUNT else value

    @property
    def quantity_text(self):
        """2, 0.5 or 12 (never 2.00 or 1E+1)."""
        return f"{self.quantity.normalize():f}" if self.quantity is not None else ""

    @property
    def signed_unit_price(self):
        return -self.unit_price if self.kind == LineKind.DISCOUNT else self.unit_price

    @property
    def unit_price_text(self):
        """£950.00, or -£100.00 for a discount."""
        return signed_gbp(self.signed_unit_price) if self.unit_price is not None else ""

    @property
    def amount_text(self):
        return signed_gbp(self.amount)


class ProposedDate(models.Model):
    """A start the client may choose. The course's length decides the days: consecutive working
    days from this one, each starting at this time."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="proposed_dates")
    starts_at = models.DateTimeField("starts")

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = "proposed date"

    def __str__(self):
        from core.templatetags.uk import uk_span

        days = self.days()
        text = uk_span(*days[0])
        return f"{text} ({len(days)} days)" if len(days) > 1 else text

    def days(self, course=None):
        """[(start, end)] for each day of the course from this start (aware, Europe/London)."""
        return course_days(course or self.quote.course, self.starts_at)


def course_days(course, starts_at):
    """The days a course starting at `starts_at` runs: ceil(duration) consecutive working days
    (England and Wales), each from the same wall-clock time; a half day at the end when the
    duration has one."""
    duration = course.duration_days
    count = max(math.ceil(duration), 1)
    local = timezone.localtime(starts_at)
    clock = local.time()
    dates = business_hours.working_days_from(local.date(), count)
    days = []
    for number, day in enumerate(dates, start=1):
        start = datetime.combine(day, clock, tzinfo=business_hours.LONDON)
        half = number == count and duration < number
        days.append((start, start + (HALF_DAY if half else FULL_DAY)))
    return days


class QuoteCounter(models.Model):
    """The last quote number given (one row): the next send takes the next one under a lock."""

    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"Last quote number: {self.last}"
