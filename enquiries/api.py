"""Leads endpoints: enquiries, callback requests and newsletter sign-ups from anyone; the leads
pipeline for sales staff.

Serializers check shape and types only; the rules live in enquiries.services, whose
ValidationError becomes a 400 with field errors in the shared format. The public endpoints are
rate-limited per client address (core.spam); the honeypot and minimum-time checks are for the
web forms, which a person fills in, and do not apply here.

The leads endpoints are for sales staff only, by a per-user token (``Authorization: Token <key>``,
created and revoked in the admin) or a signed-in session.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from booking.api import (
    ApiErrorSerializer,
    ApiValidationErrorSerializer,
    LocalDateTimeField,
    StrictSerializer,
    service_errors,
)
from booking.models import OrganisationType, validate_uk_phone
from core import spam
from courses.models import Course, Sector

from . import business_hours, services
from .models import (
    OPEN_STATUSES,
    CallbackPeriod,
    HeardAbout,
    Lead,
    LeadActivity,
    LeadStatus,
    LeadType,
    Setting,
)

# The web form's limits (enquiries/forms.py); not imported from there, as the forms module needs
# the URLconf at import and this module is part of it.
MESSAGE_MAX_LENGTH = 3000
MAX_STAFF = 10000
MAX_COURSES = 20
MAX_NOTE = 5000
NEWSLETTER_DETAIL = (
    "Check your inbox: we have sent an email with a link to confirm your subscription. "
    "If this address is already subscribed, nothing changes."
)

# ---------------------------------------------------------------------------------------------
# Shared fields


@extend_schema_field(
    {
        "type": "string",
        "enum": LeadStatus.values,
        "description": "; ".join(f"{v}: {lbl}" for v, lbl in LeadStatus.choices),
    },
    component_name="LeadStatusEnum",
)
class LeadStatusField(serializers.ChoiceField):
    """A lead's status, one schema component wherever it appears (the name "status" is shared
    with sessions and bookings, whose choices differ)."""

    def __init__(self, **kwargs):
        super().__init__(choices=LeadStatus.choices, **kwargs)


class TrackingSerializer(StrictSerializer):
    """Where the submission came from, as the website records it. All optional."""

    landing_page = serializers.CharField(
        max_length=500, allow_blank=True, default="", help_text="The page the visitor first arrived on (URL or path)."
    )
    referrer = serializers.CharField(
        max_length=500, allow_blank=True, default="", help_text="The referring page's URL, if any."
    )
    utm_source = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM source.")
    utm_medium = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM medium.")
    utm_campaign = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM campaign.")
    utm_term = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM term.")
    utm_content = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM content.")

    def get_fields(self):
        # The submission's own fields first, in the schema too; the tracking fields after them.
        fields = super().get_fields()
        for name in services.TRACKING_FIELDS:
            fields[name] = fields.pop(name)
        return fields

    def split(self):
        """(the submission's own fields, its tracking fields), from validated_data."""
        data = dict(self.validated_data)
        tracking = {name: data.pop(name) for name in services.TRACKING_FIELDS if name in data}
        return data, tracking


def consent_field():
    return serializers.BooleanField(
        help_text="Must be true: the person agrees to be contacted about this request under the privacy notice. "
        "The time and the notice's version are stored."
    )


def validate_consent(value):
    if value is not True:
        raise ValidationError("Please agree to be contacted so that we can reply.")
    return value


def sector_field(help_text):
    return serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Sector.objects.filter(is_active=True),
        allow_null=True,
        default=None,
        help_text=help_text,
        error_messages={"does_not_exist": "There is no sector '{value}'. See /api/v1/sectors/."},
    )


# ---------------------------------------------------------------------------------------------
# Public: enquiries, callbacks, newsletter


class EnquiryCreateSerializer(TrackingSerializer):
    """An in-house training enquiry, with the web form's fields. Unknown fields are refused."""

    name = serializers.CharField(max_length=150, help_text="The enquirer's name.")
    job_title = serializers.CharField(max_length=150, allow_blank=True, default="", help_text="Their job title.")
    organisation = serializers.CharField(max_length=200, help_text="The organisation whose staff need training.")
    organisation_type = serializers.ChoiceField(
        choices=OrganisationType.choices, allow_blank=True, default="", help_text="The kind of organisation."
    )
    sector = sector_field("The organisation's sector, by slug (see /api/v1/sectors/).")
    email = serializers.EmailField(max_length=254, help_text="Where we reply; an acknowledgement is sent there.")
    phone = PhoneNumberField(
        region="GB",
        allow_blank=True,
        default="",
        validators=[validate_uk_phone],
        help_text="A UK number, for example 01473 555 012, 07911 123456 or +44 20 7946 0000.",
    )
    courses = serializers.SlugRelatedField(
        many=True,
        slug_field="slug",
        queryset=Course.objects.filter(is_published=True),
        default=list,
        help_text=f"Courses of interest, by slug (see /api/v1/courses/); up to {MAX_COURSES}.",
    )
    staff_count = serializers.IntegerField(
        min_value=1, max_value=MAX_STAFF, allow_null=True, default=None, help_text="How many staff need training."
    )
    preferred_town = serializers.CharField(
        max_length=100, allow_blank=True, default="", help_text="Where the training would take place."
    )
    preferred_dates = serializers.CharField(
        max_length=200, allow_blank=True, default="", help_text="Preferred dates or time of year, in words."
    )
    settings_worked_in = serializers.ListField(
        child=serializers.ChoiceField(choices=Setting.choices),
        max_length=len(Setting.choices),
        default=list,
        help_text="Training needs: the settings the staff work in. Each at most once.",
    )
    lone_working = serializers.BooleanField(default=False, help_text="Training needs: do staff work alone?")
    restrictive_practices = serializers.BooleanField(
        default=False, help_text="Training needs: are restrictive practices (restraint, seclusion) in use?"
    )
    previous_training = serializers.CharField(
        max_length=300, allow_blank=True, default="", help_text="Training needs: what training staff have had before."
    )
    message = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH, allow_blank=True, default="", help_text="Anything else we should know."
    )
    heard_about = serializers.ChoiceField(
        choices=HeardAbout.choices, allow_blank=True, default="", help_text="How they heard of us."
    )
    consent = consent_field()

    def validate_consent(self, value):
        return validate_consent(value)

    def validate_courses(self, value):
        if len(value) > MAX_COURSES:
            raise ValidationError(f"Choose at most {MAX_COURSES} courses.")
        return list(dict.fromkeys(value))

    def validate_settings_worked_in(self, value):
        return list(dict.fromkeys(value))


class CallbackCreateSerializer(TrackingSerializer):
    """A "Let's talk" callback request, with the web form's fields. Unknown fields are refused."""

    name = serializers.CharField(max_length=150, help_text="Who to ask for.")
    phone = PhoneNumberField(
        region="GB",
        validators=[validate_uk_phone],
        help_text="The UK number to call, for example 01473 555 012, 07911 123456 or +44 20 7946 0000.",
    )
    organisation = serializers.CharField(max_length=200, allow_blank=True, default="", help_text="Their organisation.")
    callback_date = serializers.DateField(
        allow_null=True,
        default=None,
        help_text="The best time to call: a UK date (YYYY-MM-DD), with callback_period. Omit both for as soon as "
        "possible. The slot must be one that /api/v1/callbacks/slots/ offers now.",
    )
    callback_period = serializers.ChoiceField(
        choices=CallbackPeriod.choices,
        allow_blank=True,
        default="",
        help_text="am: 09:00 to 12:30; pm: 12:30 to 17:00 (UK time). Given with callback_date.",
    )
    topic = serializers.CharField(
        max_length=200, allow_blank=True, default="", help_text="What they would like to talk about, or a course."
    )
    consent = consent_field()

    def validate_consent(self, value):
        return validate_consent(value)

    def validate(self, attrs):
        day, period = attrs.get("callback_date"), attrs.get("callback_period")
        if bool(day) != bool(period):
            missing = "callback_period" if day else "callback_date"
            raise ValidationError({missing: ["Give callback_date and callback_period together, or neither."]})
        if day:
            offered = [value for value, _label in business_hours.callback_slots(self.context["now"])]
            if business_hours.format_slot(day, period) not in offered:
                raise ValidationError(
                    {
                        "callback_date": [
                            "That time is not available. Choose one of: "
                            + ", ".join(value.replace(":", " ") for value in offered)
                            + "; or leave the time out for as soon as possible."
                        ]
                    }
                )
        return attrs


class NewsletterSignupSerializer(TrackingSerializer):
    """A newsletter sign-up, confirmed by the link emailed to the address. Unknown fields are refused."""

    email = serializers.EmailField(max_length=254, help_text="Where the newsletter (and the confirmation) goes.")
    name = serializers.CharField(max_length=150, allow_blank=True, default="", help_text="Optional.")
    sector = sector_field("Optional: the sector they work in, by slug (see /api/v1/sectors/).")
    consent = serializers.BooleanField(
        help_text="Must be true: the person agrees to receive the newsletter under the privacy notice."
    )

    def validate_consent(self, value):
        if value is not True:
            raise ValidationError("Please agree to receive the newsletter.")
        return value


class LeadCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField(read_only=True, help_text="The lead's reference, to quote when in touch.")
    status = LeadStatusField(read_only=True, help_text="Always new for a lead just received.")


class CallbackCreatedSerializer(LeadCreatedSerializer):
    due_at = LocalDateTimeField(
        read_only=True,
        help_text="When we will have called by, UK time with its offset: the end of the chosen slot, or within "
        "the callback target in business hours (Monday to Friday 09:00 to 17:00, not bank holidays).",
    )


class CallbackSlotSerializer(serializers.Serializer):
    callback_date = serializers.DateField(read_only=True, help_text="The slot's UK date.")
    callback_period = serializers.ChoiceField(
        choices=CallbackPeriod.choices, read_only=True, help_text="am: 09:00 to 12:30; pm: 12:30 to 17:00."
    )
    label = serializers.CharField(read_only=True, help_text='In words, e.g. "Today, afternoon (12:30pm to 5pm)".')


class NewsletterAcceptedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("pending", "Accepted; the subscription starts when the link in the email is followed")],
        read_only=True,
        help_text="Always pending, whether or not the address is already on the list: the answer never says "
        "whether someone subscribes.",
    )
    detail = serializers.CharField(read_only=True, help_text="What happens next, to show the person.")


class RateLimitedSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[("rate_limited", "Too many submissions from this address in the last hour")],
        help_text="rate_limited.",
    )
    detail = serializers.CharField(help_text="A message to show the person.")


RATE_LIMITED = OpenApiResponse(
    RateLimitedSerializer,
    description="Too many submissions from this client address in the last hour; nothing was created.",
)
INVALID = OpenApiResponse(
    ApiValidationErrorSerializer, description="Invalid, missing or unknown fields; nothing was created."
)


def _rate_limited(request, scope):
    """A 429 answer if this client address has sent too many, else None (and the submission counts)."""
    try:
        spam.check_rate_limit(spam.client_address(request), scope=scope)
    except spam.Rejected as exc:
        return Response({"code": exc.code, "detail": exc.message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    return None


class PublicViewSet(viewsets.ViewSet):
    """Anyone may submit: no credentials are read, so a signed-in browser needs no CSRF token."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]


class EnquiryViewSet(PublicViewSet):
    @extend_schema(
        summary="Send an in-house training enquiry",
        description="Creates a lead for the sales team, which gets an owner and a reply-by time; an "
        "acknowledgement goes to `email`. Limited per client address per hour.",
        request=EnquiryCreateSerializer,
        responses={201: LeadCreatedSerializer, 400: INVALID, 429: RATE_LIMITED},
    )
    def create(self, request):
        serializer = EnquiryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if refused := _rate_limited(request, "api-leads"):
            return refused
        data, tracking = serializer.split()
        data.pop("consent")
        courses = data.pop("courses")
        try:
            lead = services.enquiry_submit(data=data, courses=courses, tracking=tracking)
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        return Response(LeadCreatedSerializer(lead).data, status=status.HTTP_201_CREATED)


class CallbackViewSet(PublicViewSet):
    @extend_schema(
        summary="Ask for a callback",
        description="Creates a callback lead. With a slot (callback_date and callback_period, one of those "
        "/api/v1/callbacks/slots/ offers) it is due at the slot's end; without one, within the callback "
        "target in business hours. Limited per client address per hour.",
        request=CallbackCreateSerializer,
        responses={201: CallbackCreatedSerializer, 400: INVALID, 429: RATE_LIMITED},
    )
    def create(self, request):
        now = timezone.now()
        serializer = CallbackCreateSerializer(data=request.data, context={"now": now})
        serializer.is_valid(raise_exception=True)
        if refused := _rate_limited(request, "api-leads"):
            return refused
        data, tracking = serializer.split()
        data.pop("consent")
        try:
            lead = services.callback_submit(data=data, tracking=tracking, now=now)
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        return Response(CallbackCreatedSerializer(lead).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Callback times on offer",
        description="The slots a callback may ask for now: the next three working days that have one, morning "
        "and afternoon, while at least 30 minutes of the slot remain.",
        responses={200: CallbackSlotSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def slots(self, request):
        now = timezone.now()
        rows = []
        for value, label in business_hours.callback_slots(now):
            day, period = business_hours.parse_slot(value)
            rows.append({"callback_date": day, "callback_period": period, "label": label})
        return Response(CallbackSlotSerializer(rows, many=True).data)


class NewsletterViewSet(PublicViewSet):
    @extend_schema(
        summary="Sign up for the newsletter",
        description="Starts double opt-in: an email with a confirmation link goes to the address, and the "
        "subscription starts when it is followed. Signing up again changes nothing. The answer is the same "
        "whether or not the address is already subscribed, so it reveals nothing about who is on the list. "
        "Limited per client address per hour.",
        request=NewsletterSignupSerializer,
        responses={202: NewsletterAcceptedSerializer, 400: INVALID, 429: RATE_LIMITED},
    )
    def create(self, request):
        serializer = NewsletterSignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if refused := _rate_limited(request, "api-newsletter"):
            return refused
        data, tracking = serializer.split()
        try:
            services.newsletter_subscribe(
                email=data["email"], name=data["name"], sector=data["sector"], tracking=tracking
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        return Response({"status": "pending", "detail": NEWSLETTER_DETAIL}, status=status.HTTP_202_ACCEPTED)


# ---------------------------------------------------------------------------------------------
# Staff: the leads pipeline


class IsSalesStaff(permissions.BasePermission):
    """Superusers, and members of the Sales group holding the model permission for the method:
    enquiries.view_lead to read, enquiries.change_lead to change."""

    message = "Only sales staff can see and work leads."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        perm = "enquiries.view_lead" if request.method in permissions.SAFE_METHODS else "enquiries.change_lead"
        return user.groups.filter(name=services.SALES_GROUP).exists() and user.has_perm(perm)


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The user's id.")
    username = serializers.CharField(read_only=True, help_text="The user's username.")
    name = serializers.SerializerMethodField(help_text="Full name, or the username when none is set.")

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class LeadActivitySerializer(serializers.Serializer):
    at = LocalDateTimeField(source="created_at", read_only=True, help_text="When, UK time with its offset.")
    kind = serializers.ChoiceField(choices=LeadActivity.Kind.choices, read_only=True, help_text="What happened.")
    outcome = serializers.ChoiceField(
        choices=LeadActivity.Outcome.choices, allow_blank=True, read_only=True, help_text="For calls; else empty."
    )
    text = serializers.CharField(read_only=True, help_text="The note, or what changed.")
    author = UserSummarySerializer(read_only=True, allow_null=True, help_text="Who; null for the system.")


class LeadSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The lead's id, for /api/v1/leads/{id}/.")
    reference = serializers.CharField(read_only=True, help_text="The reference the enquirer was given.")
    type = serializers.ChoiceField(
        source="lead_type", choices=LeadType.choices, read_only=True, help_text="enquiry or callback."
    )
    status = LeadStatusField(read_only=True, help_text="Where the lead is in the pipeline.")
    lost_reason = serializers.CharField(read_only=True, help_text="Why it was lost; empty unless status is lost.")
    retry_at = LocalDateTimeField(
        read_only=True, allow_null=True, help_text="For a callback with no answer: when to try again."
    )
    owner = UserSummarySerializer(read_only=True, allow_null=True, help_text="The sales person working it; or null.")
    next_action = serializers.CharField(read_only=True, help_text="What to do next.")
    due_at = LocalDateTimeField(read_only=True, allow_null=True, help_text="When the next action is due.")
    overdue = serializers.BooleanField(source="is_overdue", read_only=True, help_text="Open and past its due time.")
    estimated_value = serializers.DecimalField(
        max_digits=10, decimal_places=2, read_only=True, allow_null=True, help_text="GBP, excluding VAT; or null."
    )
    name = serializers.CharField(read_only=True, help_text="The person's name.")
    job_title = serializers.CharField(read_only=True, help_text="Their job title.")
    organisation = serializers.CharField(read_only=True, help_text="Their organisation.")
    organisation_type = serializers.ChoiceField(
        choices=OrganisationType.choices, allow_blank=True, read_only=True, help_text="The kind of organisation."
    )
    sector = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The sector's slug, or null."
    )
    email = serializers.EmailField(read_only=True, help_text="Their email address; may be empty for a callback.")
    phone = serializers.SerializerMethodField(help_text="Their phone number in E.164 (+441473555012); or empty.")
    courses = serializers.SlugRelatedField(
        many=True, slug_field="slug", read_only=True, help_text="Slugs of the courses of interest."
    )
    staff_count = serializers.IntegerField(read_only=True, allow_null=True, help_text="How many staff to train.")
    preferred_town = serializers.CharField(read_only=True, help_text="Where they would like the training.")
    preferred_dates = serializers.CharField(read_only=True, help_text="When they would like it, in words.")
    settings_worked_in = serializers.ListField(
        child=serializers.ChoiceField(choices=Setting.choices),
        read_only=True,
        help_text="Training needs: the settings the staff work in.",
    )
    lone_working = serializers.BooleanField(read_only=True, help_text="Training needs: staff work alone.")
    restrictive_practices = serializers.BooleanField(
        read_only=True, help_text="Training needs: restrictive practices are in use."
    )
    previous_training = serializers.CharField(read_only=True, help_text="Training needs: previous training.")
    message = serializers.CharField(read_only=True, help_text="Their message.")
    heard_about = serializers.ChoiceField(
        choices=HeardAbout.choices, allow_blank=True, read_only=True, help_text="How they heard of us."
    )
    topic = serializers.CharField(read_only=True, help_text="For a callback: what they want to talk about.")
    callback_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="For a callback: the UK date of the slot asked for; or null."
    )
    callback_period = serializers.ChoiceField(
        choices=CallbackPeriod.choices,
        allow_blank=True,
        read_only=True,
        help_text="am or pm with callback_date; empty for as soon as possible.",
    )
    source = serializers.CharField(
        read_only=True, help_text="A short label: the UTM source, else the referrer's host, else direct."
    )
    landing_page = serializers.CharField(read_only=True, help_text="The page the visitor arrived on.")
    referrer = serializers.CharField(read_only=True, help_text="The referring page.")
    utm_source = serializers.CharField(read_only=True, help_text="UTM source.")
    utm_medium = serializers.CharField(read_only=True, help_text="UTM medium.")
    utm_campaign = serializers.CharField(read_only=True, help_text="UTM campaign.")
    utm_term = serializers.CharField(read_only=True, help_text="UTM term.")
    utm_content = serializers.CharField(read_only=True, help_text="UTM content.")
    duplicate_of = serializers.SlugRelatedField(
        slug_field="reference",
        read_only=True,
        allow_null=True,
        help_text="The reference of the open lead this one may duplicate (same email, phone or organisation).",
    )
    duplicate_review = serializers.BooleanField(
        read_only=True, help_text="Flagged for staff to merge with duplicate_of or keep apart."
    )
    bookings = serializers.SlugRelatedField(
        many=True, slug_field="reference", read_only=True, help_text="References of bookings that came from it."
    )
    consent_at = LocalDateTimeField(read_only=True, allow_null=True, help_text="When they consented to contact.")
    created_at = LocalDateTimeField(read_only=True, help_text="When it arrived, UK time with its offset.")

    class Meta:
        # Every field is declared above; the model tells the schema what the related slugs are.
        model = Lead
        fields = [
            "id", "reference", "type", "status", "lost_reason", "retry_at", "owner", "next_action", "due_at",
            "overdue", "estimated_value", "name", "job_title", "organisation", "organisation_type", "sector",
            "email", "phone", "courses", "staff_count", "preferred_town", "preferred_dates", "settings_worked_in",
            "lone_working", "restrictive_practices", "previous_training", "message", "heard_about", "topic",
            "callback_date", "callback_period", "source", "landing_page", "referrer", "utm_source", "utm_medium",
            "utm_campaign", "utm_term", "utm_content", "duplicate_of", "duplicate_review", "bookings",
            "consent_at", "created_at",
        ]  # fmt: skip

    def get_phone(self, lead) -> str:
        return lead.phone.as_e164 if lead.phone else ""


class LeadDetailSerializer(LeadSerializer):
    timeline = LeadActivitySerializer(
        source="activities",
        many=True,
        read_only=True,
        help_text="Notes, calls and every status or owner change, newest first.",
    )

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "timeline"]


class LeadUpdateSerializer(StrictSerializer):
    """The changes to make; send only those. Unknown fields are refused."""

    status = LeadStatusField(
        help_text="The new status. lost needs lost_reason; no_answer (callbacks only) needs retry_at."
    )
    lost_reason = serializers.CharField(max_length=300, help_text="With status lost: why.")
    retry_at = serializers.DateTimeField(
        help_text="With status no_answer: when to try again (ISO 8601; without an offset, UK time); in the future."
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        allow_null=True,
        help_text="The user id of the new owner, an active sales person; null to unassign.",
    )
    next_action = serializers.CharField(max_length=200, allow_blank=True, help_text="What to do next.")
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next action is due (ISO 8601; without an offset, UK time); or null."
    )
    note = serializers.CharField(max_length=MAX_NOTE, help_text="A note to add to the timeline.")

    def validate(self, attrs):
        errors = {}
        if "lost_reason" in attrs and attrs.get("status") != LeadStatus.LOST:
            errors["lost_reason"] = ["Send lost_reason with status lost."]
        if "retry_at" in attrs and attrs.get("status") != LeadStatus.NO_ANSWER:
            errors["retry_at"] = ["Send retry_at with status no_answer."]
        if errors:
            raise ValidationError(errors)
        return attrs


class LeadConflictSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[("lead_anonymised", "The lead's personal data was removed under the retention policy")],
        help_text="lead_anonymised.",
    )
    detail = serializers.CharField(help_text="What went wrong.")


class LeadFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=LeadStatus.choices, label="Only leads with this status.")
    type = filters.ChoiceFilter(field_name="lead_type", choices=LeadType.choices, label="enquiry or callback.")
    owner = filters.CharFilter(
        method="filter_owner",
        label='The owner: a user id, a username, "me" for the caller, or "none" for unassigned leads.',
    )
    overdue = filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_overdue",
        label="true: open leads past their due time. false: all others.",
    )

    def filter_owner(self, queryset, name, value):
        value = value.strip()
        if value == "me":
            user = getattr(self.request, "user", None) or AnonymousUser()
            return queryset.filter(owner_id=user.pk) if user.is_authenticated else queryset.none()
        if value == "none":
            return queryset.filter(owner__isnull=True)
        if value.isdigit():
            return queryset.filter(owner_id=int(value))
        return queryset.filter(owner__username=value)

    def filter_overdue(self, queryset, name, value):
        overdue = {"status__in": OPEN_STATUSES, "due_at__lt": timezone.now()}
        return queryset.filter(**overdue) if value == "true" else queryset.exclude(**overdue)


AUTH_RESPONSES = {
    401: OpenApiResponse(
        ApiErrorSerializer,
        description="No credentials, or an unknown or revoked token (with a WWW-Authenticate: Token header).",
    ),
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="Signed in, but not sales staff with the permission to do this; or a session request "
        "without its CSRF token.",
    ),
}


@extend_schema_view(
    list=extend_schema(
        summary="Leads",
        description="Enquiries and callbacks, newest first. For sales staff (token or session).",
        responses={200: LeadSerializer(many=True), 400: ApiValidationErrorSerializer, **AUTH_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="A lead",
        description="The lead with its timeline. For sales staff (token or session).",
        responses={200: LeadDetailSerializer, **AUTH_RESPONSES, 404: ApiErrorSerializer},
    ),
    partial_update=extend_schema(
        summary="Work a lead",
        description="Change the status, owner, next action and due time, and add a note, in one go: all the "
        "changes are made or none. Each status or owner change, and the note, is recorded in the timeline with "
        "the caller as its author. Needs the change permission. Answers with the lead as it now stands.",
        request=LeadUpdateSerializer,
        responses={
            200: LeadDetailSerializer,
            400: OpenApiResponse(
                ApiValidationErrorSerializer,
                description="Invalid or unknown fields, or a change the rules refuse (lost without a reason, an "
                "owner outside the sales team, ...); nothing was changed.",
            ),
            **AUTH_RESPONSES,
            404: ApiErrorSerializer,
            409: OpenApiResponse(LeadConflictSerializer, description="The lead is anonymised; nothing was changed."),
        },
    ),
)
class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Token first: DRF takes the WWW-Authenticate header from the first class, and without one
    # an anonymous caller would get 403 instead of 401.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsSalesStaff]
    parser_classes = [JSONParser]
    filterset_class = LeadFilter
    queryset = (
        Lead.objects.select_related("owner", "sector", "duplicate_of")
        .prefetch_related("courses", "bookings")
        .order_by("-created_at", "-pk")
    )

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("activities", queryset=LeadActivity.objects.select_related("author"))
            )
        return queryset

    def get_serializer_class(self):
        return LeadSerializer if self.action == "list" else LeadDetailSerializer

    def partial_update(self, request, pk=None):
        lead = self.get_object()
        serializer = LeadUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if lead.anonymised_at:
            return Response(
                {"code": "lead_anonymised", "detail": "This lead was anonymised and can no longer be worked."},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            services.lead_update(lead=lead, actor=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        return Response(LeadDetailSerializer(self.get_queryset().get(pk=lead.pk)).data)
