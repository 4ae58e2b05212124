"""Staff API: put a trainer on a session, or take them off.

PUT /api/v1/sessions/{id}/trainer/ with {"trainer": <id or null>}. For office staff (is_staff
with booking.change_coursesession), by a per-user token or a signed-in session. The rule lives
in trainers.services.session_assign_trainer, the same function the admin and the quote
acceptance call: its ValidationError becomes a 400 in the shared error format.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from booking.models import CourseSession
from core import idempotency
from core.api import BAD_BODY, NOT_JSON, ApiErrorSerializer, StrictSerializer, service_errors
from core.parsers import JSONParser

from .models import Trainer
from .services import session_assign_trainer


class CanChangeSessions(permissions.BasePermission):
    message = "Only office staff who may change sessions can assign trainers."

    def has_permission(self, request, view):
        return request.user.has_perm("booking.change_coursesession")


class TrainerAssignSerializer(StrictSerializer):
    trainer = serializers.PrimaryKeyRelatedField(
        queryset=Trainer.objects.all(),
        allow_null=True,
        help_text="The trainer's id; null takes the trainer off the session.",
        error_messages={
            "does_not_exist": "No trainer has id {pk_value}. Choose one of the trainers.",
            "incorrect_type": "Give the trainer's id as a whole number, or null.",
            "null": "Give the trainer's id, or null.",
        },
    )


class TrainerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The trainer's id.")
    name = serializers.CharField(read_only=True, help_text="The trainer's name.")
    email = serializers.EmailField(read_only=True, help_text="The trainer's email address; may be empty.")


class SessionTrainerSerializer(serializers.Serializer):
    session = serializers.IntegerField(source="pk", read_only=True, help_text="The session's id.")
    course = serializers.CharField(source="course.title", read_only=True, help_text="The course's title.")
    in_house = serializers.BooleanField(source="is_in_house", read_only=True, help_text="An in-house session.")
    trainer = TrainerSummarySerializer(read_only=True, allow_null=True, help_text="The trainer now on it; or null.")


AUTH_RESPONSES = {
    401: OpenApiResponse(
        ApiErrorSerializer,
        description="No credentials, or an unknown or revoked token (with a WWW-Authenticate: Token header).",
    ),
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="Signed in, but not office staff allowed to change sessions; or a session request without "
        "its CSRF token.",
    ),
}


class SessionTrainerViewSet(viewsets.GenericViewSet):
    # Token first: DRF takes the WWW-Authenticate header from the first class, and without one
    # an anonymous caller would get 403 instead of 401.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAdminUser, CanChangeSessions]
    parser_classes = [JSONParser]
    # Staff see every session, in-house ones included.
    queryset = CourseSession.objects.select_related("course", "venue", "trainer")
    serializer_class = SessionTrainerSerializer

    @extend_schema(
        operation_id="sessions_trainer_update",
        summary="Put a trainer on a session",
        description="Puts the trainer on the session, or takes them off with null. Refused when the trainer is "
        "inactive, is not set up to deliver the course, is already on another session (public or in-house) on "
        "one of its days, or is away on one of them; simultaneous requests for the same trainer are taken one "
        "at a time. For office staff (token or session) with the permission to change sessions.",
        request=TrainerAssignSerializer,
        responses={
            200: SessionTrainerSerializer,
            400: OpenApiResponse(
                BAD_BODY.response,
                description="An invalid or unknown field (or a body that is not JSON: parse_error), an unknown trainer, or a trainer who cannot take the "
                "session's days, with the reason in errors.trainer (e.g. \"Helen Ward is already on Conflict "
                'Resolution, Ipswich on Tue 3 March 2026."); nothing was changed.',
            ),
            **AUTH_RESPONSES,
            404: OpenApiResponse(ApiErrorSerializer, description="No session has this id."),
            415: NOT_JSON,
            503: OpenApiResponse(
                ApiErrorSerializer, description="The trainer is being assigned elsewhere right now; try again."
            ),
        },
    )
    @action(detail=True, methods=["put"], url_path="trainer", url_name="assign")
    def assign(self, request, pk=None):
        session = self.get_object()
        serializer = TrainerAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            session = session_assign_trainer(
                session=session, trainer=serializer.validated_data["trainer"], actor=f"staff:{request.user.username}"
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        except OperationalError as exc:
            if not idempotency.is_lock_timeout(exc):
                raise
            return Response(
                {"code": "trainer_busy", "detail": "This trainer is being assigned elsewhere. Please try again."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "2"},
            )
        return Response(SessionTrainerSerializer(self.get_queryset().get(pk=session.pk)).data)
