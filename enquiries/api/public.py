"""The public endpoints: enquiries, callback requests and their slots, newsletter sign-ups."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from booking.models import OrganisationType, validate_uk_phone
from core import business_hours, spam
from core.api import ApiErrorSerializer, ApiValidationErrorSerializer, LocalDateTimeField, service_errors
from core.parsers import JSONParser
from courses.models import Course
from partners.auth import PartnerKeyAuthentication, partner_key_of

from .. import services
from ..models import CallbackPeriod, HeardAbout, LeadOrigin, Setting
from .common import (
    MAX_COURSES,
    MAX_STAFF,
    MESSAGE_MAX_LENGTH,
    LeadStatusField,
    TrackingSerializer,
    consent_field,
    sector_field,
    validate_consent,
)

NEWSLETTER_DETAIL = (
    "Check your inbox: we have sent an email with a link to confirm your subscription. "
    "If this address is already subscribed, nothing changes."
)


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
    description="Too many submissions from this client address (or with this partner key: its leads_per_hour) "
    "in the last hour; nothing was created.",
)
# The 401 for the responses of the endpoints that read a partner key; added to each once the
# schema tests that list every answer expect it (see the partner keys' commit).
UNAUTHORISED = OpenApiResponse(
    ApiErrorSerializer,
    description="authentication_failed: a malformed, unknown or revoked partner key (WWW-Authenticate: Bearer). "
    "Nothing was created.",
)
INVALID = OpenApiResponse(
    ApiValidationErrorSerializer, description="Invalid, missing or unknown fields; nothing was created."
)


def _rate_limited(request, scope):
    """A 429 answer if this client address has sent too many, else None (and the submission counts).
    With a partner key, the key is counted instead of the address, against its own leads_per_hour."""
    partner_key = partner_key_of(request)
    if partner_key is not None:
        counted, scope, limit = "key", f"partner:{partner_key.pk}:{scope}", partner_key.leads_per_hour
    else:
        counted, limit = spam.client_address(request), None
    try:
        spam.check_rate_limit(counted, scope=scope, limit=limit)
    except spam.Rejected as exc:
        return Response(
            {"code": exc.code, "detail": exc.message},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return None


def _attributed(request, data):
    """The lead's fields, with the partner key it was sent with (if any)."""
    if (partner_key := partner_key_of(request)) is not None:
        data["partner_key"] = partner_key
    return data


class PublicViewSet(viewsets.ViewSet):
    """Anyone may submit. Only a partner key is read (no session, so a signed-in browser needs no
    CSRF token); a bad one is a 401."""

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]


class EnquiryViewSet(PublicViewSet):
    @extend_schema(
        summary="Send an in-house training enquiry",
        description="Creates a lead for the sales team, which gets an owner and a reply-by time; an "
        "acknowledgement goes to `email`. Limited per client address per hour; sent with a partner key "
        "(`Authorization: Bearer <key>`), the lead is attributed to the key and limited per key instead.",
        request=EnquiryCreateSerializer,
        responses={201: LeadCreatedSerializer, 400: INVALID, 401: UNAUTHORISED, 429: RATE_LIMITED},
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
            lead = services.enquiry_submit(
                data=_attributed(request, data), courses=courses, tracking=tracking, origin=LeadOrigin.API
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        return Response(LeadCreatedSerializer(lead).data, status=status.HTTP_201_CREATED)


class CallbackViewSet(PublicViewSet):
    @extend_schema(
        summary="Ask for a callback",
        description="Creates a callback lead. With a slot (callback_date and callback_period, one of those "
        "/api/v1/callbacks/slots/ offers) it is due at the slot's end; without one, within the callback "
        "target in business hours. Limited per client address per hour; sent with a partner key "
        "(`Authorization: Bearer <key>`), the lead is attributed to the key and limited per key instead.",
        request=CallbackCreateSerializer,
        responses={201: CallbackCreatedSerializer, 400: INVALID, 401: UNAUTHORISED, 429: RATE_LIMITED},
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
            lead = services.callback_submit(
                data=_attributed(request, data), tracking=tracking, now=now, origin=LeadOrigin.API
            )
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
        "Limited per client address per hour, or per partner key when sent with one.",
        request=NewsletterSignupSerializer,
        responses={202: NewsletterAcceptedSerializer, 400: INVALID, 401: UNAUTHORISED, 429: RATE_LIMITED},
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
