"""Booking endpoints: upcoming sessions to read, and bookings to make (manage.py: a booking after).

Serializers check shape and types only. Every booking rule lives in booking.services: its
ValidationError becomes a 400 with field errors, its BookingError a 409 carrying the error's code.
"""

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from core import http_cache, idempotency, spam
from core.api import (
    BAD_BODY,
    BAD_CREDENTIALS,
    BAD_QUERY,
    LIST_RESPONSES,
    NOT_JSON,
    STRICT_FILTER_BACKENDS,
    ApiErrorSerializer,
    SinceFilter,
    id_filter,
    service_errors,
    slug_filter,
)
from core.parsers import JSONParser
from courses import selectors as course_selectors
from partners.auth import partner_key_of

from .. import selectors, services
from ..models import Booking, BookingStatus, CourseSession
from .serializers import (
    BOOKING_CREATE_REQUEST,
    BookingConflictSerializer,
    BookingCreateSerializer,
    BookingSerializer,
    IdempotencyKeyReusedSerializer,
    SessionSerializer,
)
from .staff import SessionDelegatesMixin


class SessionFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and end < start:
            self.add_error("to", "The 'to' date must be on or after the 'from' date.")
        return cleaned


class SessionFilter(django_filters.FilterSet):
    """Validates the query string; the selector does the filtering."""

    course = slug_filter("course__slug", "A course's slug; one that is not published is a 404.")
    sector = slug_filter("course__sectors__slug", "A sector's slug; one that is not active is a 404.")
    to = django_filters.DateFilter(field_name="starts_at", label="Starting on or before this date (YYYY-MM-DD, UK).")
    available = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        label="true: only sessions taking bookings with a seat left. false or absent: all upcoming sessions.",
    )
    modified_since = SinceFilter(
        field_name="updated_at",
        label="Only sessions changed at or after this time, or whose seat counts may have (a booking on them "
        "changed): ISO 8601, e.g. 2026-05-01T09:00:00+01:00 (without an offset, UK time). For polling.",
    )

    class Meta:
        form = SessionFilterForm

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        if (slug := data.get("course")) and not course_selectors.course_list().filter(slug=slug).exists():
            raise NotFound(f"There is no course {slug!r}.")
        if (slug := data.get("sector")) and not course_selectors.sector_list().filter(slug=slug).exists():
            raise NotFound(f"There is no sector {slug!r}.")
        return selectors.session_list_upcoming(
            course=data.get("course") or None,
            sector=data.get("sector") or None,
            date_from=data.get("from"),
            date_to=data.get("to"),
            available=data.get("available") == "true",
            modified_since=data.get("modified_since"),
        )


# "from" is a Python keyword, so it cannot be declared in the class body.
SessionFilter.base_filters = {
    "from": django_filters.DateFilter(field_name="starts_at", label="Starting on or after this date (YYYY-MM-DD, UK)."),
    **SessionFilter.base_filters,
}


class BookingFilter(django_filters.FilterSet):
    """The partner's (or the office's) list of bookings: validates the query string."""

    status = django_filters.ChoiceFilter(choices=BookingStatus.choices, label="Only bookings with this status.")
    session = id_filter("session_id", "Only bookings on this session (its id); a session that does not exist is a 404.")
    modified_since = SinceFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Only bookings changed at or after this time: ISO 8601, e.g. 2026-05-01T09:00:00+01:00 (without an "
        "offset, UK time).",
    )

    class Meta:
        model = Booking
        fields = ["status", "session", "modified_since"]

    def filter_queryset(self, queryset):
        session = self.form.cleaned_data.get("session")
        if session and not CourseSession.objects.filter(pk=session).exists():
            raise NotFound(f"There is no session {session}.")
        return super().filter_queryset(queryset)


PARTNER_ACCESS = (
    "\n\nWith a partner API key (`Authorization: Bearer <key>`) the booking is attributed to the key, and "
    "the key may then read and change it through /api/v1/bookings/{reference}/ and list it here. Bookings "
    "made with a key keep the email step, and are limited to the key's own bookings_per_hour instead of "
    "the client address's limit (429 with Retry-After). A malformed, unknown or revoked key (or API token) is "
    "401 with a WWW-Authenticate header."
)
CSRF_REFUSED = OpenApiResponse(
    ApiErrorSerializer,
    description="permission_denied: signed in through the site (session cookie) without the CSRF token.",
)


# ---------------------------------------------------------------------------------------------
# Views


@extend_schema_view(
    list=extend_schema(
        summary="Upcoming sessions",
        description="Sessions not yet started, soonest first, of published courses; cancelled ones included "
        "with status cancelled. Dates in `from` and `to` are UK dates; `to` before `from` is a 400. A course or "
        "sector slug that names nothing published is a 404.",
        auth=[],
        responses={
            200: SessionSerializer(many=True),
            **LIST_RESPONSES,
            404: OpenApiResponse(
                ApiErrorSerializer,
                description="not_found: no such page, or no published course or sector by that slug.",
            ),
        },
    ),
    retrieve=extend_schema(
        summary="A session",
        description="Any public session of a published course, past and cancelled ones included (bookable is then "
        "false). In-house sessions, run for one organisation, are not public: 404.",
        auth=[],
        responses={
            200: SessionSerializer,
            401: BAD_CREDENTIALS,
            404: OpenApiResponse(ApiErrorSerializer, description="not_found: no public session has this id."),
        },
    ),
)
class SessionViewSet(http_cache.CachedReadMixin, SessionDelegatesMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    filter_backends = STRICT_FILTER_BACKENDS

    def get_queryset(self):
        if self.action == "list":
            return selectors.session_list_upcoming()
        if self.action == "delegates":
            return CourseSession.objects.all()  # staff: every session, in-house ones too
        return selectors.session_list_public()

    def filter_queryset(self, queryset):
        # The filters narrow the list; a session stays retrievable by its id whatever the query string.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class BookingViewSet(viewsets.GenericViewSet):
    parser_classes = [JSONParser]
    queryset = Booking.objects.none()  # for the schema; get_queryset decides who sees what
    serializer_class = BookingSerializer
    filterset_class = BookingFilter
    filter_backends = STRICT_FILTER_BACKENDS

    def get_queryset(self):
        return Booking.objects.prefetch_related(
            "delegates", Prefetch("session", queryset=selectors.session_list())
        ).order_by("-created_at", "-pk")

    @extend_schema(
        summary="Bookings made with your partner key",
        description="A partner key (`Authorization: Bearer <key>`) lists the bookings made with it, newest first, "
        "cancelled ones included; office staff with booking.view_booking list every booking. Filter by status, "
        "session (id) and modified_since (bookings changed since then, to keep a copy in step). Without a key "
        "or a staff sign-in: 401.",
        auth=[{"partnerKey": []}, {"cookieAuth": []}, {"tokenAuth": []}],
        responses={
            200: BookingSerializer(many=True),
            400: BAD_QUERY,
            401: OpenApiResponse(
                ApiErrorSerializer,
                description="not_authenticated (no partner key or staff sign-in) or authentication_failed (a "
                "malformed, unknown or revoked key); see WWW-Authenticate.",
            ),
            403: OpenApiResponse(ApiErrorSerializer, description="Signed in, but without booking.view_booking."),
            404: OpenApiResponse(
                ApiErrorSerializer, description="not_found: no such page, or no session with the id in `session`."
            ),
        },
    )
    def list(self, request):
        partner_key = partner_key_of(request)
        queryset = self.get_queryset()
        if partner_key is not None:
            queryset = queryset.filter(partner_key=partner_key)
            manage = True
        elif not request.user.is_authenticated:
            raise NotAuthenticated()
        elif request.user.has_perm("booking.view_booking") or request.user.has_perm("booking.change_booking"):
            manage = request.user.has_perm("booking.change_booking")
        else:
            raise PermissionDenied("Only a partner key or office staff may list bookings.")
        page = self.paginate_queryset(self.filter_queryset(queryset))
        serializer = BookingSerializer(page, many=True, context={"manage_url": manage})
        return self.get_paginated_response(serializer.data)

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
            "with a different body is a 422." + PARTNER_ACCESS
        ),
        request=BOOKING_CREATE_REQUEST,
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                {"type": "string", "pattern": f"^{idempotency.KEY_PATTERN.pattern}$"},
                OpenApiParameter.HEADER,
                description="1 to 255 visible ASCII characters, for example a UUID; one per booking attempt. "
                "Anything else is a 400.",
            )
        ],
        responses={
            201: OpenApiResponse(
                BookingSerializer,
                description="Booked. The Location header is the booking's URL, GET /api/v1/bookings/{reference}/.",
            ),
            400: OpenApiResponse(
                BAD_BODY.response,
                description=BAD_BODY.description + " Also: an unknown session (errors.session), a malformed "
                "Idempotency-Key, a delegate's email given twice or already booked on the session.",
            ),
            403: CSRF_REFUSED,
            409: OpenApiResponse(
                BookingConflictSerializer,
                description="Too few seats, or the session is closed, cancelled or past; or the same "
                "Idempotency-Key is still being processed.",
            ),
            422: OpenApiResponse(
                IdempotencyKeyReusedSerializer, description="The Idempotency-Key was used for a different request."
            ),
            401: BAD_CREDENTIALS,
            415: NOT_JSON,
            429: OpenApiResponse(
                ApiErrorSerializer,
                description="rate_limited: too many bookings from this client address (or with this partner key) "
                "in the last hour; see the Retry-After header. Nothing was booked.",
            ),
            503: OpenApiResponse(
                ApiErrorSerializer, description="session_busy: too many bookings at once for this session; retry."
            ),
        },
    )
    def create(self, request):
        key = idempotency.client_key(request)
        request_hash = idempotency.fingerprint(request) if key else None
        if key and (replayed := idempotency.replay(key, request_hash)):
            return with_location(request, replayed)

        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # Office staff who may change bookings book for customers without the email step; others
        # (Sales included) book as the public does.
        staff = request.user.is_authenticated and request.user.has_perm("booking.change_booking")
        # A partner key is a trusted integrator, but its bookings keep the email step: the booker
        # named in them confirms their address like anyone else's. Its limit is the key's own.
        partner_key = partner_key_of(request)
        if not staff:
            if partner_key is not None:
                counted, scope, limit = "key", f"partner:{partner_key.pk}:bookings", partner_key.bookings_per_hour
                detail = "Too many bookings with this API key in the last hour."
            else:
                counted, scope, limit = spam.client_address(request), "bookings", settings.BOOKINGS_RATE_LIMIT_PER_HOUR
                detail = "Too many bookings from this address in the last hour."
            try:
                spam.check_rate_limit(counted, scope=scope, limit=limit)
            except spam.Rejected as exc:
                return Response(
                    {"code": exc.code, "detail": detail},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(exc.retry_after)},
                )
        if staff:
            actor = f"staff:{request.user.username} (API)"
        else:
            actor = partner_key.actor if partner_key else "booker (API)"
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
                    actor=actor,
                    email_confirmation=not staff,
                    partner_key=partner_key,
                    **data,
                )
                body = self._answer(booking)
                if record:
                    idempotency.store(record, status_code=status.HTTP_201_CREATED, body=body)
        except idempotency.KeyTaken:
            replayed = idempotency.replay(key, request_hash)
            if replayed is None:
                raise idempotency.IdempotencyRequestInProgress() from None
            return with_location(request, replayed)
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
        return with_location(request, Response(body, status=status.HTTP_201_CREATED))

    def _answer(self, booking):
        return booking_body(booking)


def booking_body(booking, **context):
    """The booking as the API answers it. Seat counts as they stand with the booking as it is now,
    from the same selector as the session list."""
    booking.session = selectors.session_list().get(pk=booking.session_id)
    prefetch_related_objects([booking], "delegates")
    return BookingSerializer(booking, context=context).data


def with_location(request, response):
    """A booking made (201) says where to read it: GET /api/v1/bookings/{reference}/."""
    reference = response.data.get("reference") if isinstance(response.data, dict) else None
    if response.status_code == status.HTTP_201_CREATED and reference:
        response["Location"] = request.build_absolute_uri(reverse("api:booking-manage-detail", args=[reference]))
    return response
