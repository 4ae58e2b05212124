"""Catalogue endpoints: read-only sectors and courses, public (no credentials needed)."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound

from core.api import BAD_CREDENTIALS, LIST_RESPONSES, STRICT_FILTER_BACKENDS, ApiErrorSerializer, slug_filter

from . import selectors
from .models import Course, Delivery, Sector


class SectorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["slug", "name"]
        read_only_fields = fields


class SectorSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:sector-detail", lookup_field="slug")
    web_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Sector
        fields = ["slug", "name", "summary", "introduction", "display_order", "url", "web_url"]
        read_only_fields = fields  # an answer: every field always there


class CourseSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:course-detail", lookup_field="slug")
    web_url = serializers.CharField(source="get_absolute_url", read_only=True)
    duration = serializers.CharField(source="duration_label", read_only=True)
    delivery_formats = serializers.SerializerMethodField()
    sectors = SectorSummarySerializer(many=True, read_only=True)
    learning_outcomes = serializers.ListField(source="outcomes_list", child=serializers.CharField(), read_only=True)
    price = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True, read_only=True)
    vat = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True, read_only=True)
    price_including_vat = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True, read_only=True)
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "slug",
            "title",
            "summary",
            "duration",
            "duration_days",
            "delivery_formats",
            "cpd_hours",
            "rrn_certified",
            "quality_award",
            "certificate_validity_months",
            "price",
            "vat",
            "price_including_vat",
            "currency",
            "sectors",
            "is_featured",
            "learning_outcomes",
            "url",
            "web_url",
        ]
        read_only_fields = fields  # an answer: every field always there

    def get_delivery_formats(self, course) -> list[str]:
        return [code for code, _label in course.delivery_formats]

    def get_currency(self, course) -> str:
        return "GBP"


class CourseDetailSerializer(CourseSerializer):
    related_courses = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")

    class Meta(CourseSerializer.Meta):
        fields = [
            *CourseSerializer.Meta.fields,
            "description",
            "audience",
            "related_courses",
            "seo_title",
            "seo_description",
        ]
        read_only_fields = fields


class CourseApiFilter(django_filters.FilterSet):
    """The course list page's filters (courses/filters.py), as the API states them: a sector that
    names nothing active is a 404, not an empty list or a "not one of the choices"."""

    search = extend_schema_field(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "description": "Words in a course's title, summary or description.",
        }
    )(django_filters.CharFilter(max_length=100))
    sector = slug_filter("sectors__slug", "A sector's slug; one that is not active is a 404.")
    delivery = django_filters.ChoiceFilter(choices=Delivery.choices, label="How the course is run.")

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        if (slug := data.get("sector")) and not selectors.sector_list().filter(slug=slug).exists():
            raise NotFound(f"There is no sector {slug!r}.")
        return selectors.course_list(
            sector=data.get("sector") or None, delivery=data.get("delivery") or None, search=data.get("search") or None
        )


NO_SLUG = OpenApiResponse(ApiErrorSerializer, description="not_found: nothing published has this slug.")


@extend_schema_view(
    list=extend_schema(summary="Sectors", auth=[], responses={200: SectorSerializer(many=True), **LIST_RESPONSES}),
    retrieve=extend_schema(
        summary="A sector", auth=[], responses={200: SectorSerializer, 401: BAD_CREDENTIALS, 404: NO_SLUG}
    ),
)
class SectorViewSet(viewsets.ReadOnlyModelViewSet):
    """Active sectors in display order."""

    serializer_class = SectorSerializer
    lookup_field = "slug"
    queryset = selectors.sector_list()
    filter_backends = STRICT_FILTER_BACKENDS


@extend_schema_view(
    list=extend_schema(
        summary="Courses",
        auth=[],
        responses={
            200: CourseSerializer(many=True),
            **LIST_RESPONSES,
            404: OpenApiResponse(
                ApiErrorSerializer, description="not_found: no such page, or no active sector by that slug."
            ),
        },
    ),
    retrieve=extend_schema(
        summary="A course", auth=[], responses={200: CourseDetailSerializer, 401: BAD_CREDENTIALS, 404: NO_SLUG}
    ),
)
class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    """Published courses; filter by `sector` (slug), `delivery` (open, in_house, virtual) and `search`."""

    lookup_field = "slug"
    filterset_class = CourseApiFilter
    filter_backends = STRICT_FILTER_BACKENDS

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.course_detail_list()
        return selectors.course_list()

    def get_serializer_class(self):
        return CourseDetailSerializer if self.action == "retrieve" else CourseSerializer

    def filter_queryset(self, queryset):
        # The filters narrow the list; a course stays retrievable by its slug whatever the query string.
        return super().filter_queryset(queryset) if self.action == "list" else queryset
