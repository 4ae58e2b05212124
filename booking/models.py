"""Venues, scheduled sessions of a course, bookings and their delegates.

The rules that change seats (create, cancel, change delegates, capacity, promotion) live in
booking/services.py; models hold fields, constraints and cheap properties only.
"""

import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from core.money import line_amount
from courses.models import Course

# Free text a booker types: long enough for any real answer, never megabytes.
INVOICE_ADDRESS_MAX = 500
NOTES_MAX = 2000
ADJUSTMENTS_MAX = 1000

# Easy to read over the phone: no 0/O, 1/I/L.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8


def new_reference():
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_manage_key():
    return secrets.token_urlsafe(9)


class Venue(models.Model):
    name = models.CharField(max_length=150)
    is_online = models.BooleanField("online", default=False, help_text="A virtual classroom, not a building.")
    address = models.TextField(blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    access_notes = models.TextField(blank=True, help_text="Step-free access, lifts, hearing loops, where to report.")
    parking_notes = models.TextField(blank=True)
    joining_link = models.URLField(blank=True, help_text="For online venues: the virtual classroom link.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_online=True) | ~models.Q(postcode="") & ~models.Q(town=""),
                name="venue_in_person_has_town_and_postcode",
                violation_error_message="A venue that is not online needs a town and a postcode.",
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.town}" if self.town else self.name

    @property
    def place(self):
        return "Online" if self.is_online else self.town


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class CourseSession(models.Model):
    """One scheduled run of a course: one or more dated days at a venue, with a capacity."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="sessions")
    # The first day's start and the last day's end, kept in step with the days by the services.
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    price = models.DecimalField(
        "price per delegate (GBP, excluding VAT)",
        max_digits=8,
        decimal_places=2,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Leave blank to use the course price.",
    )
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    booking_closes_at = models.DateTimeField(blank=True, help_text="Leave blank for 24 hours before the start.")
    trainer = models.ForeignKey(
        "trainers.Trainer", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    # In-house: run for one organisation at its own site, never listed on the public pages or API.
    # Its delegates register through a private link (booking/links.py) that carries this key.
    is_in_house = models.BooleanField("in-house", default=False, db_index=True)
    registration_key = models.CharField(max_length=20, default=new_manage_key, editable=False)
    # The trainer's attendance link is signed with this: a new key revokes the old link.
    attendance_key = models.CharField(max_length=20, default=new_manage_key, editable=False)
    completed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When attendance was in for every day."
    )
    joining_instructions = models.TextField(blank=True, help_text="Sent to delegates: what to bring, where to go.")
    cancelled_reason = models.CharField(max_length=300, blank=True)
    # Raised each time the dates or venue change, so calendar invites update in place.
    ics_sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = "session"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
                violation_error_message="The session must end after it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(booking_closes_at__lte=models.F("starts_at")),
                name="session_booking_closes_before_start",
                violation_error_message="Booking must close no later than the start.",
            ),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.course.title}, {local:%a} {local.day} {local:%B %Y}, {self.venue.place}"

    def save(self, *args, **kwargs):
        # Defaults that depend on other fields; no workflow here.
        if self.price is None and self.course_id:
            self.price = self.course.price
        if self.booking_closes_at is None and self.starts_at:
            self.booking_closes_at = self.starts_at - settings.BOOKING_CLOSES_BEFORE_START
        super().save(*args, **kwargs)

    @property
    def is_cancelled(self):
        return self.status == SessionStatus.CANCELLED

    def not_bookable_reason(self, now=None):
        """None when the session takes bookings; otherwise (code, message)."""
        now = now or timezone.now()
        if self.is_cancelled:
            return ("session_cancelled", "This session has been cancelled.")
        if self.starts_at <= now:
            return ("session_past", "This session has already started or taken place.")
        if self.booking_closes_at <= now:
            return ("session_closed", "Booking for this session has closed.")
        return None

    @property
    def bookable(self):
        return self.not_bookable_reason() is None

    @property
    def vat(self):
        return (self.price * settings.VAT_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class SessionDay(models.Model):
    """One dated part of a session: a multi-day course has one per day."""

    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="days")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_day_ends_after_start",
                violation_error_message="A day must end after it starts.",
            ),
        ]

    def __str__(self):
        start, end = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        return f"{start:%a} {start.day} {start:%B %Y}, {start:%H:%M}-{end:%H:%M}"


class BookingStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Awaiting email confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    AWAITING_PO = "awaiting_po", "Awaiting PO"
    WAITLISTED = "waitlisted", "Waiting list"
    CANCELLED = "cancelled", "Cancelled"


# Bookings in these states hold seats. An unconfirmed booking holds them only briefly, until
# its confirm_by time (booking/services.py).
SEAT_HOLDING = [BookingStatus.CONFIRMED, BookingStatus.AWAITING_PO, BookingStatus.UNCONFIRMED]
# Bookings whose delegates we write to: places held and the booker's address confirmed.
DELEGATES_INFORMED = [BookingStatus.CONFIRMED, BookingStatus.AWAITING_PO]


class OrganisationType(models.TextChoices):
    NHS = "nhs", "NHS trust or organisation"
    CARE = "care", "Health or social care provider"
    EDUCATION = "education", "School, college or university"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    HOUSING = "housing", "Housing association"
    RETAIL = "retail", "Retail or leisure"
    TRANSPORT = "transport", "Transport operator"
    FACILITIES = "facilities", "Facilities or security"
    OTHER = "other", "Other"


ods_code_validator = RegexValidator(
    r"^[A-Za-z0-9]{3,9}$", "Enter an NHS ODS code: 3 to 9 letters and digits, for example RGT or RGT01."
)


def validate_uk_phone(value):
    """UK numbers only: national format (01473 555012, 07911 123456) or +44."""
    if value and getattr(value, "country_code", 44) != 44:
        raise ValidationError("Enter a UK phone number, for example 01473 555012, 07911 123456 or +44 20 7946 0000.")


purchase_order_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9/_.\- ]*$",
    "Enter the purchase order number using letters, digits, spaces and / - _ . only.",
)


class Booking(models.Model):
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    session = models.ForeignKey(CourseSession, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=12, choices=BookingStatus.choices, db_index=True)
    organisation = models.CharField(max_length=200)
    organisation_type = models.CharField(max_length=20, choices=OrganisationType.choices)
    ods_code = models.CharField("NHS ODS code", max_length=9, blank=True, validators=[ods_code_validator])
    contact_name = models.CharField("booker's name", max_length=150)
    contact_email = models.EmailField("booker's email")
    contact_phone = PhoneNumberField("booker's phone", region="GB", validators=[validate_uk_phone])
    job_title = models.CharField(max_length=150, blank=True)
    invoice_address = models.TextField(
        max_length=INVOICE_ADDRESS_MAX, validators=[MaxLengthValidator(INVOICE_ADDRESS_MAX)]
    )
    purchase_order = models.CharField(
        "purchase order number", max_length=50, blank=True, validators=[purchase_order_validator]
    )
    po_to_follow = models.BooleanField("PO to follow", default=False)
    po_deadline = models.DateTimeField("PO deadline", null=True, blank=True)
    # Bookings made on the site or the public API wait for the booker to confirm their email
    # address; until then no delegate is emailed, and after confirm_by the booking lapses.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    confirm_by = models.DateTimeField("confirm by", null=True, blank=True)
    notes = models.TextField(blank=True, max_length=NOTES_MAX, validators=[MaxLengthValidator(NOTES_MAX)])
    terms_accepted_at = models.DateTimeField()
    terms_version = models.CharField(max_length=20)
    price_per_delegate = models.DecimalField(max_digits=8, decimal_places=2)
    # A price agreed as a whole (an accepted in-house quote), not per delegate:
    # [{"description": str, "quantity": "2", "unit_price": "950.00"}]; empty for per-delegate pricing.
    agreed_lines = models.JSONField(default=list, blank=True)
    cancelled_reason = models.CharField(max_length=300, blank=True)
    # Part of the signed manage link: a new one revokes every link sent before (booking/links.py).
    manage_key = models.CharField(max_length=20, default=new_manage_key, editable=False)
    # Made through the API with a partner's key (partners.PartnerKey): that partner may read and change it.
    partner_key = models.ForeignKey(
        "partners.PartnerKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="bookings",
        verbose_name="made with partner key",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(purchase_order="") | models.Q(po_to_follow=True) | models.Q(status="cancelled"),
                name="booking_has_po_or_po_to_follow",
                violation_error_message="Give a purchase order number or choose 'PO to follow'.",
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.organisation})"

    @property
    def holds_seats(self):
        return self.status in SEAT_HOLDING

    @property
    def is_active(self):
        return self.status != BookingStatus.CANCELLED

    @property
    def awaits_email_confirmation(self):
        """Made on the site or the public API and not yet confirmed from the booker's email."""
        return self.confirm_by is not None and self.email_confirmed_at is None

    def delegate_count(self):
        # Uses the prefetch cache when the delegates were prefetched.
        return len(self.delegates.all())

    @property
    def is_in_house(self):
        """The host booking of an in-house session: a price agreed as a whole, delegates who
        register themselves from a private link."""
        return self.session.is_in_house

    def agreed_total(self):
        """The agreed lines' total excluding VAT, or None when priced per delegate."""
        if not self.agreed_lines:
            return None
        # Each line rounded to the penny first, as the quote and the invoice print them.
        return sum((line_amount(line["quantity"], line["unit_price"]) for line in self.agreed_lines), Decimal("0.00"))

    def totals(self):
        """Net, VAT and gross in pounds: the agreed price when there is one, else for all delegates."""
        count = self.delegate_count()
        agreed = self.agreed_total()
        net = agreed if agreed is not None else self.price_per_delegate * count
        vat = (net * settings.VAT_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return {"delegates": count, "net": net, "vat": vat, "gross": net + vat}


class Delegate(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="delegates")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    job_role = models.CharField(max_length=150, blank=True)
    adjustments = models.TextField(
        "access needs or reasonable adjustments",
        blank=True,
        max_length=ADJUSTMENTS_MAX,
        validators=[MaxLengthValidator(ADJUSTMENTS_MAX)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "booking", name="delegate_email_once_per_booking"),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class BookingEvent(models.Model):
    """The history of a booking: every change, when and by whom. Notifications hang off these."""

    class Kind(models.TextChoices):
        CREATED = "created", "Booked"
        WAITLISTED = "waitlisted", "Joined the waiting list"
        PROMOTED = "promoted", "Promoted from the waiting list"
        PO_ADDED = "po_added", "Purchase order added"
        PO_EXPIRED = "po_expired", "PO hold released"
        DELEGATE_ADDED = "delegate_added", "Delegate added"
        DELEGATE_REMOVED = "delegate_removed", "Delegate removed"
        DELEGATE_SUBSTITUTED = "delegate_substituted", "Delegate substituted"
        CANCELLED = "cancelled", "Cancelled"
        SESSION_CANCELLED = "session_cancelled", "Session cancelled"
        SESSION_CHANGED = "session_changed", "Session moved or venue changed"
        LINK_REISSUED = "link_reissued", "New manage link sent"
        REGISTRATION_LINK_RENEWED = "registration_link_renewed", "New registration link made"
        EMAIL_CONFIRMED = "email_confirmed", "Booker's email address confirmed"
        LAPSED = "lapsed", "Lapsed: not confirmed in time"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.CharField(max_length=500)
    actor = models.CharField(max_length=150, help_text="Who made the change: the booker, a staff user or the system.")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.booking.reference}: {self.get_kind_display()}"


class CalendarInvite(models.Model):
    """The last calendar message sent for one event UID (one delegate's day of a session).

    Calendars ignore an update whose SEQUENCE is not higher than the last they saw for the UID,
    so each message sent takes the next number from here: a delegate removed (CANCEL) and added
    back (REQUEST) never gets a lower or equal sequence."""

    uid = models.CharField(max_length=255, unique=True)
    sequence = models.PositiveIntegerField()
    method = models.CharField(max_length=10)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.uid} #{self.sequence} {self.method}"
