"""Leads (in-house training enquiries and "Let's talk" callback requests) worked by sales staff
in one pipeline, their activity timeline, and newsletter subscribers.

The rules (assignment, SLA clock, duplicates, status changes, retention) live in
enquiries/services.py.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from booking.models import OrganisationType, new_reference, validate_uk_phone
from courses.models import Course, Sector


class LeadType(models.TextChoices):
    ENQUIRY = "enquiry", "Enquiry"
    CALLBACK = "callback", "Callback"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    NO_ANSWER = "no_answer", "No answer"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL_SENT = "proposal_sent", "Proposal sent"
    WON = "won", "Won"
    LOST = "lost", "Lost"


CLOSED_STATUSES = [LeadStatus.WON, LeadStatus.LOST]
OPEN_STATUSES = [status for status in LeadStatus if status not in CLOSED_STATUSES]


class Setting(models.TextChoices):
    WARD = "ward", "Ward or inpatient unit"
    EMERGENCY = "emergency", "Emergency department"
    COMMUNITY = "community", "Community or home visits"
    FRONT_DESK = "front_desk", "Front desk or reception"
    CLASSROOM = "classroom", "School or college"
    SHOP_FLOOR = "shop_floor", "Shop floor or leisure site"
    VEHICLE = "vehicle", "Vehicles, stations or stops"
    OTHER = "other", "Other"


class HeardAbout(models.TextChoices):
    SEARCH = "search", "Search engine"
    RECOMMENDATION = "recommendation", "Recommendation from a colleague"
    EVENT = "event", "Conference or event"
    SOCIAL = "social", "Social media"
    NEWSLETTER = "newsletter", "Our newsletter"
    RETURNING = "returning", "We have trained with you before"
    OTHER = "other", "Other"


class CallbackPeriod(models.TextChoices):
    MORNING = "am", "Morning"
    AFTERNOON = "pm", "Afternoon"


class LeadOrigin(models.TextChoices):
    WEBSITE = "website", "Website"
    API = "api", "API"
    PHONE = "phone", "Phone call"
    EVENT = "event", "Event"
    REFERRAL = "referral", "Referral"
    OTHER = "other", "Other"


HAND_ADDED_ORIGINS = [LeadOrigin.PHONE, LeadOrigin.EVENT, LeadOrigin.REFERRAL, LeadOrigin.OTHER]


class Tracking(models.Model):
    """Where a lead or subscriber came from: the first page of the visit, the site that sent
    them there and its UTM parameters (enquiries/attribution.py), and the normalised channel
    (enquiries/channels.py) that reports group by."""

    landing_page = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    utm_source = models.CharField("UTM source", max_length=100, blank=True)
    utm_medium = models.CharField("UTM medium", max_length=100, blank=True)
    utm_campaign = models.CharField("UTM campaign", max_length=100, blank=True)
    utm_term = models.CharField("UTM term", max_length=100, blank=True)
    utm_content = models.CharField("UTM content", max_length=100, blank=True)
    channel = models.CharField(
        "source", max_length=100, blank=True, db_index=True, help_text="google, linkedin, phone, direct ..."
    )

    class Meta:
        abstract = True

    @property
    def source(self):
        """The normalised channel (stored when the record arrived)."""
        return self.channel or "direct"


class Lead(Tracking):
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    lead_type = models.CharField("type", max_length=10, choices=LeadType.choices, db_index=True)
    origin = models.CharField(
        "came in by", max_length=10, choices=LeadOrigin.choices, default=LeadOrigin.WEBSITE, db_index=True
    )
    status = models.CharField(max_length=15, choices=LeadStatus.choices, default=LeadStatus.NEW, db_index=True)
    lost_reason = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    next_action = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField("due", null=True, blank=True, db_index=True)
    estimated_value = models.DecimalField(
        "estimated value (GBP)", max_digits=10, decimal_places=2, null=True, blank=True
    )

    # Who
    name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    organisation_type = models.CharField(max_length=20, choices=OrganisationType.choices, blank=True)
    sector = models.ForeignKey(Sector, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    email = models.EmailField(blank=True, db_index=True)
    phone = PhoneNumberField(blank=True, region="GB", validators=[validate_uk_phone], db_index=True)

    # In-house enquiry
    courses = models.ManyToManyField(Course, blank=True, related_name="leads", verbose_name="courses of interest")
    staff_count = models.PositiveIntegerField("number of staff to train", null=True, blank=True)
    preferred_town = models.CharField(max_length=100, blank=True)
    preferred_dates = models.CharField(max_length=200, blank=True)
    settings_worked_in = models.JSONField("settings", default=list, blank=True)
    lone_working = models.BooleanField(default=False)
    restrictive_practices = models.BooleanField("restrictive practices in use", default=False)
    previous_training = models.CharField(max_length=300, blank=True)
    message = models.TextField(blank=True)
    heard_about = models.CharField("how they heard of us", max_length=20, choices=HeardAbout.choices, blank=True)

    # Callback request
    callback_date = models.DateField(null=True, blank=True)
    callback_period = models.CharField(max_length=2, choices=CallbackPeriod.choices, blank=True)
    topic = models.CharField("topic or course", max_length=200, blank=True)
    retry_at = models.DateTimeField("try again at", null=True, blank=True)

    # Consent and data
    consent_at = models.DateTimeField(null=True, blank=True)
    privacy_notice_version = models.CharField(max_length=20, blank=True)

    # Duplicates: a new lead matching an open one is linked to it for staff to merge or keep apart.
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="possible_duplicates"
    )
    duplicate_review = models.BooleanField("needs duplicate review", default=False, db_index=True)

    bookings = models.ManyToManyField("booking.Booking", blank=True, related_name="leads")
    # Sent through the API with a partner's key (partners.PartnerKey).
    partner_key = models.ForeignKey(
        "partners.PartnerKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="leads",
        verbose_name="sent with partner key",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    anonymised_reason = models.CharField(max_length=300, blank=True)
    overdue_alert_sent_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("export_lead", "Can export leads and personal data")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="lost") | ~models.Q(lost_reason=""),
                name="lost_lead_has_reason",
                violation_error_message="Give a reason when marking a lead lost.",
            ),
        ]

    def __str__(self):
        who = self.organisation or self.name
        return f"{self.reference}: {who} ({self.get_lead_type_display().lower()})"

    @property
    def is_open(self):
        return self.status not in CLOSED_STATUSES

    @property
    def is_overdue(self):
        return bool(self.is_open and self.due_at and self.due_at < timezone.now())


class LeadActivity(models.Model):
    """The lead's timeline: notes, calls and every status or owner change, with who and when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        NOTE = "note", "Note"
        CALL = "call", "Call"
        STATUS = "status", "Status change"
        OWNER = "owner", "Owner change"
        EMAIL = "email", "Email"
        DUPLICATE = "duplicate", "Duplicate"
        BOOKING = "booking", "Booking"
        PERSONAL_DATA = "personal_data", "Personal data"

    class Outcome(models.TextChoices):
        SPOKE = "spoke", "Spoke to them"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Left a voicemail"
        WRONG_NUMBER = "wrong_number", "Wrong number"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    outcome = models.CharField(max_length=15, choices=Outcome.choices, blank=True)
    text = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "activities"

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"


class SalesPerson(models.Model):
    """Who takes new leads in the round robin, and when they last got one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sales_profile")
    takes_new_leads = models.BooleanField(default=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sales person"
        verbose_name_plural = "sales people"

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Awaiting confirmation"
    CONFIRMED = "confirmed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class NewsletterSubscriber(Tracking):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    sector = models.ForeignKey(Sector, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=15, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING)
    consent_at = models.DateTimeField(null=True, blank=True)
    privacy_notice_version = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.email


class DataRequest(models.Model):
    """A personal-data request answered by staff: an erasure or a subject-access export. Holds
    no personal data itself: the references of the records it touched and how many."""

    class Kind(models.TextChoices):
        ERASURE = "erasure", "Erasure"
        ACCESS = "access", "Subject access export"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=300, blank=True)
    matched_by = models.CharField(
        max_length=20, blank=True, help_text="What the person was found by (email, phone), not its value."
    )
    counts = models.JSONField(default=dict, blank=True)
    references = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "personal-data request"

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class BulkJob(models.Model):
    """A bulk action over a filtered lead list (assign, status change, mark lost), run by a
    Celery task when large; its progress and result are shown to the user who started it."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    action = models.CharField(max_length=30)
    params = models.JSONField(default=dict, blank=True)
    query = models.TextField("filter", blank=True, help_text="The lead list's query string when it was started.")
    description = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    refused = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "bulk change"

    def __str__(self):
        return f"{self.description or self.action} ({self.get_state_display().lower()})"
