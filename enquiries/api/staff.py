"""The leads pipeline for sales staff: the permission, the serializers, the filter and the leads viewset."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from booking.models import OrganisationType
from core.api import (
    ApiErrorSerializer,
    ApiValidationErrorSerializer,
    LocalDateTimeField,
    StrictSerializer,
    service_errors,
)
from core.parsers import JSONParser

from .. import services
from ..models import (
    OPEN_STATUSES,
    CallbackPeriod,
    HeardAbout,
    Lead,
    LeadActivity,
    LeadStatus,
    LeadType,
    Setting,
)
from .common import MAX_NOTE, LeadStatusField


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
        return services.person_name(user)


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
        help_text="The new status. lost needs lost_reason; no_answer needs retry_at (any lead type)."
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
