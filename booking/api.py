"""Booking endpoints: upcoming sessions to read, and bookings to make.

Serializers check shape and types only. Every booking rule lives in booking.services: its
ValidationError becomes a 400 with field errors, its BookingError a 409 carrying the error's code.
"""

import re
from collections.abc import Mapping

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core import idempotency, spam
from core.parsers import JSONParser
from courses import selectors as course_selectors

from . import selectors, services
from .links import manage_url
from .models import (
    ADJUSTMENTS_MAX,
    INVOICE_ADDRESS_MAX,
    BookingStatus,
    CourseSession,
    OrganisationType,
    SessionStatus,
    ods_code_validator,
    purchase_order_validator,
)

CURRENCY = "GBP"
MAX_DELEGATES = 100
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY

# ---------------------------------------------------------------------------------------------
# Sessions


class LocalDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UK time with its offset: +00:00 in winter (where DRF would write Z), +01:00 in summer."""

    def to_representation(self, value):
        return timezone.localtime(value).isoformat()


class SessionCourseSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    title = serializers.CharField(read_only=True)


class SessionVenueSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    town = serializers.CharField(read_only=True, help_text="Empty for an online venue.")
    postcode = serializers.CharField(read_only=True, help_text="Empty for an online venue.")
    online = serializers.BooleanField(source="is_online", read_only=True)


class SessionDaySerializer(serializers.Serializer):
    starts_at = LocalDateTimeField(read_only=True)
    ends_at = LocalDateTimeField(read_only=True)


class SessionSerializer(serializers.Serializer):
    """A session as the selectors annotate it: seat counts come with the row, not per row."""

    id = serializers.IntegerField(read_only=True)
    course = SessionCourseSerializer(read_only=True)
    starts_at = LocalDateTimeField(read_only=True, help_text="Start of the first day, UK time with its offset.")
    ends_at = LocalDateTimeField(read_only=True, help_text="End of the last day, UK time with its offset.")
    days = SessionDaySerializer(many=True, read_only=True, help_text="One entry per dated day of the course.")
    venue = SessionVenueSerializer(read_only=True)
    capacity = serializers.IntegerField(read_only=True)
    seats_remaining = serializers.IntegerField(
        read_only=True, help_text="Capacity less the delegates on confirmed and awaiting-PO bookings; never negative."
    )
    waiting_list_count = serializers.IntegerField(read_only=True, help_text="Delegates on waitlisted bookings.")
    price = serializers.DecimalField(
        max_digits=8, decimal_places=2, read_only=True, help_text="Per delegate, excluding VAT."
    )
    currency = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=SessionStatus.choices, read_only=True)
    booking_closes_at = LocalDateTimeField(read_only=True)
    bookable = serializers.BooleanField(
        read_only=True,
        help_text="Takes bookings now: scheduled, not started and booking still open. A fully booked session "
        "stays bookable onto its waiting list (see seats_remaining).",
    )

    def get_currency(self, session) -> str:
        return CURRENCY


def _course_choices():
    return list(course_selectors.course_list().values_list("slug", "title"))


def _sector_choices():
    return list(course_selectors.sector_list().values_list("slug", "name"))


class SessionFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and end < start:
            self.add_error("to", "The 'to' date must be on or after the 'from' date.")
        return cleaned


class SessionFilter(django_filters.FilterSet):
    """Validates the query string; the selector does the filtering."""

    course = django_filters.ChoiceFilter(field_name="course__slug", choices=_course_choices, label="Course slug.")
    sector = django_filters.ChoiceFilter(
        field_name="course__sectors__slug", choices=_sector_choices, label="Sector slug."
    )
    to = django_filters.DateFilter(field_name="starts_at", label="Starting on or before this date (YYYY-MM-DD, UK).")
    available = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        label="true: only sessions taking bookings with a seat left. false or absent: all upcoming sessions.",
    )

    class Meta:
        form = SessionFilterForm

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return selectors.session_list_upcoming(
            course=data.get("course") or None,
            sector=data.get("sector") or None,
            date_from=data.get("from"),
            date_to=data.get("to"),
            available=data.get("available") == "true",
        )


# "from" is a Python keyword, so it cannot be declared in the class body.
SessionFilter.base_filters = {
    "from": django_filters.DateFilter(field_name="starts_at", label="Starting on or after this date (YYYY-MM-DD, UK)."),
    **SessionFilter.base_filters,
}


# ---------------------------------------------------------------------------------------------
# Bookings


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a misspelt field is an error rather than ignored."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {name: ["This field is not recognised."] for name in data if name not in self.fields}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            raise ValidationError({**exc.detail, **unknown}) from None
        if unknown:
            raise ValidationError(unknown)
        return value


class DelegateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254, help_text="Once per session: each delegate needs their own.")
    job_role = serializers.CharField(max_length=150, allow_blank=True, default="")
    adjustments = serializers.CharField(
        max_length=ADJUSTMENTS_MAX, allow_blank=True, default="", help_text="Access needs or reasonable adjustments."
    )


class WholeNumberPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id must be a whole number: 1.5 or "1.5" is refused rather than read as 1."""

    def to_internal_value(self, data):
        text = str(data).strip()
        if isinstance(data, bool) or not isinstance(data, int | str) or not (text.isascii() and text.isdigit()):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(int(data))


class BookingCreateSerializer(StrictSerializer):
    session = WholeNumberPrimaryKeyField(
        queryset=CourseSession.objects.filter(course__is_published=True),
        help_text="The session id, from /api/v1/sessions/.",
        error_messages={
            "does_not_exist": "There is no session with id {pk_value}.",
            "incorrect_type": "Give the session's id as a whole number, for example 12.",
        },
    )
    organisation = serializers.CharField(max_length=200)
    organisation_type = serializers.ChoiceField(choices=OrganisationType.choices)
    ods_code = serializers.CharField(
        max_length=9,
        allow_blank=True,
        default="",
        help_text="NHS ODS code, 3 to 9 letters and digits, for example RGT or RGT01.",
    )
    contact_name = serializers.CharField(max_length=150, help_text="The booker's name.")
    contact_email = serializers.EmailField(max_length=254)
    contact_phone = PhoneNumberField(region="GB", help_text="A UK number, for example 01473 555 012.")
    job_title = serializers.CharField(max_length=150, allow_blank=True, default="")
    invoice_address = serializers.CharField(max_length=INVOICE_ADDRESS_MAX)
    purchase_order = serializers.CharField(
        max_length=50,
        allow_blank=True,
        default="",
        validators=[purchase_order_validator],
        help_text="The purchase order number. Give this or po_to_follow, not both.",
    )
    po_to_follow = serializers.BooleanField(
        default=False,
        help_text="The PO will follow: seats are held as awaiting_po until po_deadline.",
    )
    delegates = DelegateSerializer(many=True, allow_empty=False, max_length=MAX_DELEGATES)
    join_waitlist = serializers.BooleanField(
        default=False, help_text="With too few seats, join the waiting list instead of getting a 409."
    )
    accept_terms = serializers.BooleanField(help_text="Must be true.")

    def validate_ods_code(self, value):
        value = value.upper()
        if value:
            ods_code_validator(value)
        return value

    def validate_accept_terms(self, value):
        if value is not True:
            raise ValidationError("Accept the booking terms to continue")
        return value

    def validate_delegates(self, value):
        # Errors by delegate index, as DRF's list serializer gives them.
        first_seen = {}
        errors = {}
        for index, delegate in enumerate(value):
            email = delegate["email"].strip().lower()
            if email in first_seen:
                errors[index] = {"email": [f"Delegate {first_seen[email] + 1} has this email address already."]}
            else:
                first_seen[email] = index
        if errors:
            raise ValidationError(errors)
        return value


class BookingSerializer(serializers.Serializer):
    reference = serializers.CharField(
        read_only=True, help_text="Eight characters without 0/O or 1/I/L, easy to read over the phone."
    )
    status = serializers.ChoiceField(
        read_only=True,
        choices=[
            (BookingStatus.UNCONFIRMED, "Seats held until confirm_by, while the booker confirms their email"),
            (BookingStatus.CONFIRMED, "Confirmed"),
            (BookingStatus.AWAITING_PO, "Seats held until po_deadline, awaiting the purchase order"),
            (BookingStatus.WAITLISTED, "On the waiting list, holding no seats"),
        ],
    )
    confirm_by = LocalDateTimeField(
        read_only=True,
        allow_null=True,
        help_text="While the booker's email address is unconfirmed: when the booking lapses. Otherwise null.",
    )
    session = SessionSerializer(read_only=True)
    delegates = DelegateSerializer(many=True, read_only=True)
    total_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, source="totals.net", read_only=True, help_text="All delegates, excluding VAT."
    )
    total_vat = serializers.DecimalField(max_digits=10, decimal_places=2, source="totals.vat", read_only=True)
    total_including_vat = serializers.DecimalField(
        max_digits=10, decimal_places=2, source="totals.gross", read_only=True
    )
    currency = serializers.SerializerMethodField()
    po_deadline = LocalDateTimeField(
        read_only=True,
        allow_null=True,
        help_text="For awaiting_po: add the PO through manage_url by then or the seats are released. Otherwise null.",
    )
    manage_url = serializers.SerializerMethodField(
        help_text="The booker's private link to see and change the booking; works until the session ends. "
        "Null while the booker's email address is unconfirmed: it is then emailed to them."
    )

    def get_currency(self, booking) -> str:
        return CURRENCY

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_manage_url(self, booking):
        # The link that changes the booking goes only to a confirmed address, by email.
        return None if booking.awaits_email_confirmation else manage_url(booking)

    def to_representation(self, booking):
        data = super().to_representation(booking)
        if not booking.awaits_email_confirmation:
            data["confirm_by"] = None
        return data


# Error bodies, for the schema. The shapes come from core.api.exception_handler and the views.


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class ApiValidationErrorSerializer(ApiErrorSerializer):
    errors = serializers.DictField(
        help_text='Messages per field, e.g. {"contact_phone": ["..."]}. errors.delegates is an object keyed by '
        'the delegate\'s index from 0, e.g. {"1": {"email": ["..."]}}, and non_field_errors for the list as a whole.'
    )


class BookingConflictSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            ("insufficient_seats", "Too few seats left; see seats_remaining, or send join_waitlist"),
            ("session_closed", "Booking for the session has closed"),
            ("session_cancelled", "The session is cancelled"),
            ("session_past", "The session has started or taken place"),
            ("too_many_unconfirmed", "This booker or organisation already holds the most seats allowed unconfirmed"),
            ("idempotency_request_in_progress", "A request with this Idempotency-Key is still running"),
        ]
    )
    detail = serializers.CharField()
    seats_remaining = serializers.IntegerField(required=False, help_text="With insufficient_seats only.")


class IdempotencyKeyReusedSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[("idempotency_key_reused", "The key was used for a different request")])
    detail = serializers.CharField()


DELEGATE_ERROR_KEY = re.compile(r"delegates\[(\d+)\](?:\.(\w+))?")


def service_errors(exc):
    """A service's ValidationError in the shape the serializers give: the same errors, same place."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD: exc.messages}
    errors = {}
    rows = {}
    for field, messages in exc.message_dict.items():
        if match := DELEGATE_ERROR_KEY.fullmatch(field):
            rows.setdefault(int(match[1]), {}).setdefault(match[2] or NON_FIELD, []).extend(messages)
        elif field == "delegates":
            errors["delegates"] = {NON_FIELD: messages}
        elif field == NON_FIELD_ERRORS:
            errors[NON_FIELD] = messages
        else:
            errors[field] = messages
    if rows:
        errors["delegates"] = {**errors.get("delegates", {}), **rows}
    return errors


# ---------------------------------------------------------------------------------------------
# Views


@extend_schema_view(
    list=extend_schema(
        summary="Upcoming sessions",
        description="Sessions not yet started, soonest first, of published courses; cancelled ones included "
        "with status cancelled. Dates in `from` and `to` are UK dates.",
        responses={200: SessionSerializer(many=True), 400: ApiValidationErrorSerializer},
    ),
    retrieve=extend_schema(
        summary="A session",
        description="Any session of a published course, past and cancelled ones included (bookable is then false).",
        responses={200: SessionSerializer, 404: ApiErrorSerializer},
    ),
)
class SessionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SessionSerializer
    filterset_class = SessionFilter

    def get_queryset(self):
        if self.action == "list":
            return selectors.session_list_upcoming()
        return selectors.session_list().filter(course__is_published=True)

    def filter_queryset(self, queryset):
        # The filters narrow the list; a session stays retrievable by its id whatever the query string.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class BookingViewSet(viewsets.ViewSet):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Book places on a session",
        description=(
            "Books every delegate or none. The seats are held as unconfirmed until confirm_by (30 "
            "minutes by default) while the booker confirms their email address from the link we email "
            "to contact_email; nothing else is sent, to the booker or the delegates, before then, and an "
            "unconfirmed booking lapses (cancelled) at confirm_by. Once confirmed, a booking with a "
            "purchase_order is confirmed; with po_to_follow it holds the seats as awaiting_po until "
            "po_deadline. Staff signed in to the API book without the email step. With too few seats "
            "the answer is 409 insufficient_seats, unless join_waitlist is true: the booking is then "
            "waitlisted and holds no seats (a waitlisted booking also needs the email confirmed before "
            "it can be promoted). One booker or organisation may hold at most "
            "BOOKING_UNCONFIRMED_SEATS_MAX seats unconfirmed (409 too_many_unconfirmed), and each "
            "client address may make BOOKINGS_RATE_LIMIT_PER_HOUR bookings an hour (429 with "
            "Retry-After). A failed request writes nothing.\n\n"
            "Send an Idempotency-Key to make retries safe: the same key with the same body returns the "
            "first answer (with the header Idempotent-Replayed: true) and books nothing more; the same key "
            "with a different body is a 422."
        ),
        request=BookingCreateSerializer,
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Up to 255 visible ASCII characters, for example a UUID; one per booking attempt.",
            )
        ],
        responses={
            201: BookingSerializer,
            400: OpenApiResponse(
                ApiValidationErrorSerializer, description="Invalid or unknown fields, or an unknown session."
            ),
            409: OpenApiResponse(
                BookingConflictSerializer,
                description="Too few seats, or the session is closed, cancelled or past; or the same "
                "Idempotency-Key is still being processed.",
            ),
            422: OpenApiResponse(
                IdempotencyKeyReusedSerializer, description="The Idempotency-Key was used for a different request."
            ),
            429: OpenApiResponse(
                ApiErrorSerializer,
                description="rate_limited: too many bookings from this client address in the last hour; see "
                "the Retry-After header. Nothing was booked.",
            ),
            503: OpenApiResponse(
                ApiErrorSerializer, description="session_busy: too many bookings at once for this session; retry."
            ),
        },
    )
    def create(self, request):
        key = idempotency.key_from(request)
        request_hash = idempotency.fingerprint(request) if key else None
        if key and (replayed := idempotency.replay(key, request_hash)):
            return replayed

        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # Office staff who may change bookings book for customers without the email step; others
        # (Sales included) book as the public does.
        staff = request.user.is_authenticated and request.user.has_perm("booking.change_booking")
        if not staff:
            try:
                spam.check_rate_limit(
                    spam.client_address(request), scope="bookings", limit=settings.BOOKINGS_RATE_LIMIT_PER_HOUR
                )
            except spam.Rejected as exc:
                return Response(
                    {"code": exc.code, "detail": "Too many bookings from this address in the last hour."},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(exc.retry_after)},
                )
        try:
            with transaction.atomic():
                # The key first: a simultaneous request with the same key waits here for this one.
                record = (
                    idempotency.claim(key, request_hash, lock_timeout_ms=settings.BOOKING_LOCK_TIMEOUT_MS)
                    if key
                    else None
                )
                booking = services.booking_create(
                    delegates=[services.DelegateData(**row) for row in data.pop("delegates")],
                    actor=f"staff:{request.user.username} (API)" if staff else "booker (API)",
                    email_confirmation=not staff,
                    **data,
                )
                body = self._answer(booking)
                if record:
                    idempotency.store(record, status_code=status.HTTP_201_CREATED, body=body)
        except idempotency.KeyTaken:
            replayed = idempotency.replay(key, request_hash)
            if replayed is None:
                raise idempotency.IdempotencyRequestInProgress() from None
            return replayed
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        except services.BookingError as exc:
            return Response({"code": exc.code, "detail": exc.message, **exc.extra}, status=status.HTTP_409_CONFLICT)
        except OperationalError as exc:
            if not idempotency.is_lock_timeout(exc):
                raise
            return Response(
                {"code": "session_busy", "detail": "This session is taking many bookings at once. Please try again."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "2"},
            )
        return Response(body, status=status.HTTP_201_CREATED)

    def _answer(self, booking):
        # Seat counts as they stand with this booking made, from the same selector as the list.
        booking.session = selectors.session_list().get(pk=booking.session_id)
        prefetch_related_objects([booking], "delegates")
        return BookingSerializer(booking).data
