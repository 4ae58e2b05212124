from django.contrib import admin
from django.db.models import Count

from .models import Course, Programme, ProgrammeCourse, Sector, Testimonial


class TestimonialInline(admin.StackedInline):
    model = Testimonial
    extra = 0
    fields = [
        "quote",
        ("attribution_role", "attribution_organisation"),
        ("course", "sector"),
        ("is_published", "display_order"),
    ]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "display_order", "is_active", "course_count"]
    list_editable = ["display_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["display_order", "name"]
    inlines = [TestimonialInline]

    @admin.display(description="Courses", ordering="_course_count")
    def course_count(self, sector):
        return sector._course_count

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_course_count=Count("courses"))


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "duration_label", "price", "is_published", "is_featured", "display_order", "updated_at"]
    list_editable = ["is_published", "is_featured", "display_order"]
    list_filter = [
        "is_published",
        "is_featured",
        "sectors",
        "delivery_open",
        "delivery_in_house",
        "delivery_virtual",
        "rrn_certified",
    ]
    search_fields = ["title", "summary", "description"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["sectors", "related_courses"]
    ordering = ["display_order", "title"]
    inlines = [TestimonialInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "description", "learning_outcomes", "audience"]}),
        (
            "Format and price",
            {"fields": ["duration_days", ("delivery_open", "delivery_in_house", "delivery_virtual"), "price"]},
        ),
        ("Accreditation", {"fields": ["cpd_hours", "rrn_certified", "quality_award", "certificate_validity_months"]}),
        (
            "Where it appears",
            {"fields": ["sectors", "related_courses", ("is_published", "is_featured", "display_order")]},
        ),
        ("Search engines", {"fields": ["seo_title", "seo_description"], "classes": ["collapse"]}),
    ]

    @admin.display(description="Duration", ordering="duration_days")
    def duration_label(self, course):
        return course.duration_label


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    list_display = ["__str__", "course", "sector", "is_published", "display_order"]
    list_editable = ["is_published", "display_order"]
    list_filter = ["is_published", "sector", "course"]
    search_fields = ["quote", "attribution_role", "attribution_organisation"]
    list_select_related = ["course", "sector"]


class ProgrammeCourseInline(admin.TabularInline):
    model = ProgrammeCourse
    extra = 1
    fields = ["position", "course", "why"]
    autocomplete_fields = ["course"]
    ordering = ["position", "pk"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["title", "sector", "course_count", "display_order", "is_published"]
    list_editable = ["display_order", "is_published"]
    list_filter = ["is_published", "sector"]
    search_fields = ["title", "introduction", "sector__name", "lines__course__title"]
    list_select_related = ["sector"]
    ordering = ["sector__display_order", "display_order", "title"]
    inlines = [ProgrammeCourseInline]

    @admin.display(description="Courses", ordering="_course_count")
    def course_count(self, programme):
        return programme._course_count

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_course_count=Count("lines"))
