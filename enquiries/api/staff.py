"""The leads pipeline for sales staff: the permission, the list's filters and search, and the
leads viewset (list, detail, PATCH, log a call)."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Prefetch
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import (
    BAD_BODY,
    LIST_RESPONSES,
    NOT_JSON,
    STRICT_FILTER_BACKENDS,
    ApiErrorSerializer,
    service_errors,
)
from core.parsers import JSONParser

from .. import services
from ..models import OPEN_STATUSES, Lead, LeadActivity, LeadStatus, LeadType
from ..services.search import SEARCH_MAX_LENGTH
from .common import VISIBLE_PATTERN, VISIBLE_TEXT
from .leads import LeadConflictSerializer, LeadDetailSerializer, LeadSerializer
from .work import LEAD_CALL_REQUEST, LEAD_UPDATE_REQUEST, LeadCallSerializer, LeadUpdateSerializer


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


SEARCH_HELP = (
    "Leads whose name, email, phone, organisation or reference contain every word (case-insensitive; "
    '"a quoted phrase" is one word), as the admin\'s lead search finds them; a UK phone number as people write '
    f"it (01473 555012) also finds the lead with that number. Up to {SEARCH_MAX_LENGTH} characters."
)


class LeadFilter(filters.FilterSet):
    search = extend_schema_field(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": SEARCH_MAX_LENGTH,
            "pattern": VISIBLE_PATTERN,
            "description": SEARCH_HELP,
        }
    )(
        filters.CharFilter(
            method="filter_search",
            label=SEARCH_HELP,
            strip=False,
            validators=[VISIBLE_TEXT, MaxLengthValidator(SEARCH_MAX_LENGTH)],
        )
    )
    status = filters.ChoiceFilter(choices=LeadStatus.choices, label="Only leads with this status.")
    type = filters.ChoiceFilter(field_name="lead_type", choices=LeadType.choices, label="enquiry or callback.")
    owner = extend_schema_field({"type": "string", "minLength": 1})(
        filters.CharFilter(
            method="filter_owner",
            label='The owner: a user id, a username, "me" for the caller, or "none" for unassigned leads.',
        )
    )
    overdue = filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_overdue",
        label="true: open leads past their due time. false: all others.",
    )

    def filter_search(self, queryset, name, value):
        return services.lead_search(queryset=queryset, term=value)

    def filter_owner(self, queryset, name, value):
        value = value.strip()
        if value == "me":
            user = getattr(self.request, "user", None) or AnonymousUser()
            return queryset.filter(owner_id=user.pk) if user.is_authenticated else queryset.none()
        if value == "none":
            return queryset.filter(owner__isnull=True)
        if value.isascii() and value.isdigit():  # not "³", which isdigit() also takes
            # An id past the databases' integers is no one's (SQLite would raise on it).
            return queryset.filter(owner_id=int(value)) if int(value) < 2**63 else queryset.none()
        return queryset.filter(owner__username=value)

    def filter_overdue(self, queryset, name, value):
        overdue = {"status__in": OPEN_STATUSES, "due_at__lt": timezone.now()}
        return queryset.filter(**overdue) if value == "true" else queryset.exclude(**overdue)


AUTH_RESPONSES = {
    401: OpenApiResponse(
        ApiErrorSerializer,
        description="not_authenticated (no credentials) or authentication_failed (an unknown or revoked token or "
        'key); see WWW-Authenticate (Bearer realm="api").',
    ),
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="permission_denied: signed in (or a partner key), but not sales staff with the permission to "
        "do this; or a session request without its CSRF token.",
    ),
}
NO_LEAD = OpenApiResponse(ApiErrorSerializer, description="not_found: no lead has this id.")
ANONYMISED = OpenApiResponse(LeadConflictSerializer, description="The lead is anonymised; nothing was changed.")
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]
# Any text reaches the view (lookup_value_regex below), but only a lead's id finds one.
LEAD_ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description="The lead's id; anything else is a 404."
)


@extend_schema_view(
    list=extend_schema(
        summary="Leads",
        description="Enquiries and callbacks, newest first. For sales staff (token or session). Filter by status, "
        "type, owner and overdue, and search by name, email, phone, organisation or reference (`search`). An "
        "unknown query parameter, one given twice or empty, is a 400.",
        auth=STAFF_AUTH,
        responses={200: LeadSerializer(many=True), **LIST_RESPONSES, **AUTH_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="A lead",
        description="The lead with its timeline. For sales staff (token or session).",
        auth=STAFF_AUTH,
        parameters=[LEAD_ID],
        responses={200: LeadDetailSerializer, **AUTH_RESPONSES, 404: NO_LEAD},
    ),
    partial_update=extend_schema(
        summary="Work a lead",
        description="Change the status, owner, next action and due time, and add a note, in one go: all the "
        "changes are made or none. Each status or owner change, and the note, is recorded in the timeline with "
        "the caller as its author. lost needs lost_reason, and no_answer needs retry_at (in the future); neither "
        "is sent with another status. Needs the change permission. Answers with the lead as it now stands.",
        auth=STAFF_AUTH,
        parameters=[LEAD_ID],
        request=LEAD_UPDATE_REQUEST,
        responses={
            200: LeadDetailSerializer,
            400: OpenApiResponse(
                BAD_BODY.response,
                description=BAD_BODY.description + " Also a change the rules refuse (retry_at in the past, an "
                "owner outside the sales team, ...).",
            ),
            **AUTH_RESPONSES,
            404: NO_LEAD,
            409: ANONYMISED,
            415: NOT_JSON,
        },
    ),
)
class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # The API's authenticators (partner key first): an anonymous caller gets 401 with
    # WWW-Authenticate: Bearer realm="api" as everywhere else; a partner key is not staff (403).
    permission_classes = [IsSalesStaff]
    parser_classes = [JSONParser]
    # Any id reaches the view, so that one that is not a number (1.5) is the API's JSON 404 too.
    lookup_value_regex = "[^/]+"
    filterset_class = LeadFilter
    filter_backends = STRICT_FILTER_BACKENDS
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

    def filter_queryset(self, queryset):
        # The filters narrow the list; a lead stays reachable by its id whatever the query string.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self):
        return LeadSerializer if self.action == "list" else LeadDetailSerializer

    def _work(self, request, serializer, service):
        """Validate, refuse an anonymised lead (409), call the service, answer the lead as it now stands."""
        lead = self.get_object()
        serializer.is_valid(raise_exception=True)
        if lead.anonymised_at:
            return Response(
                {"code": "lead_anonymised", "detail": "This lead was anonymised and can no longer be worked."},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            service(lead)
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        return Response(LeadDetailSerializer(self.get_queryset().get(pk=lead.pk)).data)

    def partial_update(self, request, pk=None):
        serializer = LeadUpdateSerializer(data=request.data, partial=True)
        return self._work(
            request,
            serializer,
            lambda lead: services.lead_update(lead=lead, actor=request.user, **serializer.validated_data),
        )

    @extend_schema(
        summary="Log a call",
        description="Records a call to the lead on its timeline, with the caller as its author, and what comes "
        'next, as the admin\'s "Log a call" does: a call closes the action it was made for, so it says what '
        "happens next. One of: a next action and its due time; for a call not answered (no_answer or "
        "voicemail), a time to try again (retry_at: a new lead becomes no_answer); or closing the lead (won, "
        "or lost with lost_reason). A reached new lead becomes contacted unless status says otherwise. Only a "
        "lead already won or lost may have a call recorded with nothing next. Times must be in the future. "
        "All or nothing. Needs the change permission. Answers with the lead as it now stands.",
        auth=STAFF_AUTH,
        parameters=[LEAD_ID],
        request=LEAD_CALL_REQUEST,
        responses={
            200: LeadDetailSerializer,
            400: OpenApiResponse(
                BAD_BODY.response,
                description=BAD_BODY.description + " Also a next step the rules refuse, beside its field: "
                "next_action and due_at missing on an open lead, a time in the past, lost without lost_reason.",
            ),
            **AUTH_RESPONSES,
            404: NO_LEAD,
            409: ANONYMISED,
            415: NOT_JSON,
        },
    )
    @action(detail=True, methods=["post"], url_path="calls")
    def calls(self, request, pk=None):
        serializer = LeadCallSerializer(data=request.data)
        return self._work(
            request,
            serializer,
            lambda lead: services.lead_log_call(lead=lead, actor=request.user, **serializer.as_service_arguments()),
        )
