"""Shared by the leads endpoints: the web form's limits, the fields whose schema says more than
DRF can (a UK phone, a slug, a lead status), requests with alternative shapes, and the
Idempotency-Key header."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from booking.api.serializers import IdempotencyKeyReusedSerializer
from booking.models import validate_uk_phone
from core import idempotency
from core.api import SLUG_PATTERN, VISIBLE_PATTERN, VISIBLE_TEXT, StrictSerializer  # noqa: F401 (re-exported)
from courses.models import Course, Sector

from .. import services
from ..models import LeadStatus

# The web form's limits (enquiries/forms.py); not imported from there, as the forms module needs
# the URLconf at import and this module is part of it.
MESSAGE_MAX_LENGTH = 3000
MAX_STAFF = 10000
MAX_COURSES = 20
MAX_NOTE = 5000
PHONE_MAX_LENGTH = 40
SECTOR_SLUG_MAX_LENGTH = 100  # courses.models.Sector.slug
COURSE_SLUG_MAX_LENGTH = 150  # courses.models.Course.slug


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


# The schema's format "uk-phone" is the one the booking API uses for contact_phone: a client (or
# schemathesis, given a strategy for it) knows where a phone number goes.
@extend_schema_field({"type": "string", "format": "uk-phone", "maxLength": PHONE_MAX_LENGTH})
class UKPhoneField(PhoneNumberField):
    """A UK number as people write it (01473 555 012, 07911 123456, +44 20 7946 0000), checked as
    the web forms check it (validate_uk_phone)."""

    def __init__(self, **kwargs):
        super().__init__(region="GB", max_length=PHONE_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data):
        number = super().to_internal_value(data)
        if number:
            try:
                validate_uk_phone(number)
            except DjangoValidationError as exc:
                raise ValidationError(exc.messages) from None
        return number


# Empty is none, as null is (DRF's relations read "" as null): the web forms send it so.
@extend_schema_field(
    {
        "type": "string",
        "pattern": SLUG_PATTERN.replace("]+$", "]*$"),
        "maxLength": SECTOR_SLUG_MAX_LENGTH,
        "nullable": True,
    }
)
class SectorField(serializers.SlugRelatedField):
    """An active sector by its slug; null or empty for none."""

    def __init__(self, **kwargs):
        super().__init__(
            slug_field="slug",
            queryset=Sector.objects.filter(is_active=True),
            allow_null=True,
            default=None,
            error_messages={"does_not_exist": "There is no sector '{value}'. See /api/v1/sectors/."},
            **kwargs,
        )


def course_slugs_field(help_text):
    """Course slugs; the view turns them into published courses (courses_named)."""
    return serializers.ListField(
        child=serializers.SlugField(max_length=COURSE_SLUG_MAX_LENGTH, trim_whitespace=False),
        max_length=MAX_COURSES,
        default=list,
        help_text=help_text,
        error_messages={"max_length": f"Choose at most {MAX_COURSES} courses."},
    )


def courses_named(slugs):
    """The published courses with these slugs, each once, in the order given; a ValidationError
    naming each slug that is not one."""
    slugs = list(dict.fromkeys(slugs))
    found = {course.slug: course for course in Course.objects.filter(is_published=True, slug__in=slugs)}
    if missing := [slug for slug in slugs if slug not in found]:
        raise ValidationError([f"There is no course '{slug}'. See /api/v1/courses/." for slug in missing])
    return [found[slug] for slug in slugs]


class LeadsSerializer(StrictSerializer):
    """A StrictSerializer whose texts' maxLength counts the characters sent: DRF trims
    whitespace before it checks max_length, so a value the schema refuses as too long could
    pass."""

    def to_internal_value(self, data):
        too_long = {}
        if isinstance(data, Mapping):
            for name, value in data.items():
                field = self.fields.get(name)
                limit = getattr(field, "max_length", None)
                if isinstance(field, serializers.CharField) and limit and isinstance(value, str) and len(value) > limit:
                    too_long[name] = [field.error_messages["max_length"].format(max_length=limit)]
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            raise ValidationError({**exc.detail, **too_long}) from None
        if too_long:
            raise ValidationError(too_long)
        return value


def email_field(help_text):
    # Not trimmed: " jo@example.org" is not an email address (format email), so it is refused.
    return serializers.EmailField(max_length=254, trim_whitespace=False, help_text=help_text)


class TrackingSerializer(LeadsSerializer):
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


# Requests of more than one shape --------------------------------------------------------------


class OneOfRequest(PolymorphicProxySerializer):
    """For the schema only: a request body in one of the shapes of `serializers`, each a
    StrictSerializer. The view validates with one serializer holding every rule; the shapes state
    those rules that JSON Schema can."""

    def __init__(self, component_name, serializers):
        super().__init__(component_name=component_name, serializers=serializers, resource_type_field_name=None)


class OneOfRequestSchema(OpenApiSerializerExtension):
    """The shapes as oneOf, as the booking's are: they exclude one another (a required field or
    value of one is refused by the others, none of which take unknown fields). Each keeps its
    required fields, even for a PATCH (drf-spectacular would make them optional), and the fields
    every shape requires are required of the body itself, so the body is required when any is."""

    target_class = OneOfRequest

    def get_name(self):
        return self.target.component_name

    def map_serializer(self, auto_schema, direction):
        shapes, required = [], None
        for serializer in self.target.serializers:
            serializer = serializer() if isinstance(serializer, type) else serializer
            component = auto_schema.resolve_serializer(serializer, direction)
            shapes.append(component.ref)
            fields = set(component.schema.get("required", []))
            required = fields if required is None else required & fields
        schema = {"oneOf": shapes}
        if required:
            schema["required"] = sorted(required)
        return schema


# Idempotency-Key -------------------------------------------------------------------------------

IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    {"type": "string", "pattern": f"^{idempotency.KEY_PATTERN.pattern}$"},
    OpenApiParameter.HEADER,
    description="1 to 255 visible ASCII characters, for example a UUID; a new one for each submission. Sent "
    "again with the same body, the first answer comes back (with Idempotent-Replayed: true) and nothing is "
    "created again. Keys are per client: per partner key when one is sent, else per client address. "
    "Anything else is a 400.",
)


class IdempotencyInProgressSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[("idempotency_request_in_progress", "A request with this Idempotency-Key is still running")]
    )
    detail = serializers.CharField()


IDEMPOTENCY_RESPONSES = {
    409: OpenApiResponse(
        IdempotencyInProgressSerializer,
        description="A request with the same Idempotency-Key is still being processed; retry shortly with the "
        "same key. Nothing was created by this one.",
    ),
    # The booking API's component: the same answer.
    422: OpenApiResponse(
        IdempotencyKeyReusedSerializer,
        description="The Idempotency-Key was already used (by this client) for a different request; nothing "
        "was created.",
    ),
}
