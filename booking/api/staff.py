"""Staff reads on sessions: GET /api/v1/sessions/{id}/delegates/, the people booked on a session.

An action of the sessions view set (SessionDelegatesMixin), so it shares its address, but not its
audience: only office staff who may view bookings, signed in or with their API token. Every
session is reachable, in-house ones included. Three queries whatever the number of delegates:
the session, the page (delegates with their bookings) and their attendance.
"""

import datetime

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.decorators import action

from core.api import BAD_QUERY, ApiErrorSerializer, refuse_unknown_query_parameters
from records.models import Attendance, AttendanceStatus

from ..models import SEAT_HOLDING, Delegate


class CanViewBookings(permissions.BasePermission):
    message = "Only office staff who may view bookings can see who is booked on a session."

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_staff
            and (user.has_perm("booking.view_booking") or user.has_perm("booking.change_booking"))
        )


class AttendanceMarkSerializer(serializers.Serializer):
    date = serializers.SerializerMethodField(help_text="The course day, a UK date.")
    status = serializers.ChoiceField(choices=AttendanceStatus.choices, read_only=True)

    def get_date(self, mark) -> datetime.date:
        return timezone.localdate(mark.day.starts_at)


@extend_schema_field(
    {"type": "string", "enum": [str(status) for status in SEAT_HOLDING]}, component_name="SeatHoldingStatusEnum"
)
class SeatHoldingStatusField(serializers.CharField):
    """The status of a booking that holds places (its own component: "BookingStatusEnum" has them all)."""


class SessionDelegateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The delegate's id on their booking.")
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    job_role = serializers.CharField(read_only=True, help_text="May be empty.")
    adjustments = serializers.CharField(
        read_only=True, help_text="Access needs or reasonable adjustments; may be empty."
    )
    booking_reference = serializers.CharField(source="booking.reference", read_only=True)
    booking_status = SeatHoldingStatusField(
        source="booking.status",
        read_only=True,
        help_text="unconfirmed: the booker has not yet confirmed their email (the place lapses at the booking's "
        "confirm_by); awaiting_po: held until the PO deadline.",
    )
    organisation = serializers.CharField(source="booking.organisation", read_only=True)
    attendance = AttendanceMarkSerializer(
        many=True, read_only=True, help_text="Marks taken so far, one per course day; empty before the course."
    )


def session_delegates(session):
    """The delegates holding places on `session`, by name, with their bookings and attendance:
    one query for the rows and one for the attendance, however many there are."""
    return (
        Delegate.objects.filter(booking__session=session, booking__status__in=SEAT_HOLDING)
        .select_related("booking")
        .prefetch_related(Prefetch("attendance", queryset=Attendance.objects.select_related("day")))
        .order_by("name", "pk")
    )


class SessionDelegatesMixin:
    """For SessionViewSet: the `delegates` action (its get_queryset gives it every session)."""

    @extend_schema(
        summary="Delegates booked on a session (staff)",
        description="The people holding places on the session, by name: delegates of its confirmed, awaiting-PO "
        "and unconfirmed bookings (not waitlisted or cancelled ones), with their booking's reference, status and "
        "organisation, and attendance once marked. Any session, in-house ones included. For office staff with "
        "booking.view_booking, signed in or with their API token (`Authorization: Token <token>`); never cached.",
        auth=[{"cookieAuth": []}, {"tokenAuth": []}],
        responses={
            200: SessionDelegateSerializer(many=True),
            400: BAD_QUERY,
            401: OpenApiResponse(
                ApiErrorSerializer,
                description="not_authenticated (no credentials) or authentication_failed (unknown or revoked "
                "credentials); see WWW-Authenticate.",
            ),
            403: OpenApiResponse(
                ApiErrorSerializer,
                description="permission_denied: signed in, or a partner key, without permission to view bookings.",
            ),
            404: OpenApiResponse(ApiErrorSerializer, description="not_found: no session has this id, or no such page."),
        },
    )
    @action(detail=True, methods=["get"], permission_classes=[CanViewBookings], filterset_class=None)
    def delegates(self, request, pk=None):
        session = self.get_object()
        refuse_unknown_query_parameters(request, self)
        page = self.paginate_queryset(session_delegates(session))
        response = self.get_paginated_response(SessionDelegateSerializer(page, many=True).data)
        # Names and access needs: never kept by a browser or proxy.
        add_never_cache_headers(response)
        return response
