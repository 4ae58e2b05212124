"""Catalogue endpoints: read-only sectors and courses."""

from rest_framework import serializers, viewsets

from . import selectors
from .filters import CourseFilter
from .models import Course, Sector


class SectorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["slug", "name"]


class SectorSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:sector-detail", lookup_field="slug")
    web_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Sector
        fields = ["slug", "name", "summary", "introduction", "display_order", "url", "web_url"]


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


class SectorViewSet(viewsets.ReadOnlyModelViewSet):
    """Active sectors in display order."""

    serializer_class = SectorSerializer
    lookup_field = "slug"
    queryset = selectors.sector_list()


class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    """Published courses; filter by `sector` (slug), `delivery` (open, in_house, virtual) and `search`."""

    lookup_field = "slug"
    filterset_class = CourseFilter

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.course_detail_list()
        return selectors.course_list()

    def get_serializer_class(self):
        return CourseDetailSerializer if self.action == "retrieve" else CourseSerializer
