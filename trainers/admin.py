"""The office's trainers: who delivers which courses, the days each is away, and their upcoming days.

Days away are refused when they cover a day the trainer is already on a session, checked under
the trainer's lock (trainers/services.py) so a session assigned at the same moment cannot slip
in between."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from core.templatetags.uk import uk_datetime

from . import selectors, services
from .models import Trainer, TrainerUnavailability


class UnavailabilityFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        trainer = self.instance
        if any(self.errors) or not trainer.pk:
            return  # a new trainer is on no session yet
        changed = [
            form
            for form in self.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not changed:
            return
        # Held until the admin's transaction ends, after the days are saved.
        trainer = services.trainer_lock(trainer)
        for form in changed:
            try:
                services.trainer_check_can_be_away(
                    trainer=trainer, starts_on=form.cleaned_data["starts_on"], ends_on=form.cleaned_data["ends_on"]
                )
            except ValidationError as exc:
                for message in exc.message_dict["starts_on"]:
                    form.add_error("starts_on", message)


class UnavailabilityInline(admin.TabularInline):
    model = TrainerUnavailability
    formset = UnavailabilityFormSet
    fields = ["starts_on", "ends_on", "reason"]
    extra = 0


class CourseListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return field.get_choices(include_blank=False, ordering=("title",))


@admin.register(Trainer)
class TrainerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone_number", "course_titles", "is_active", "next_day"]
    list_filter = ["is_active", ("courses", CourseListFilter)]
    search_fields = ["name", "email"]
    ordering = ["name", "pk"]
    filter_horizontal = ["courses"]
    inlines = [UnavailabilityInline]
    fieldsets = [
        (None, {"fields": ["name", "email", "phone", "is_active"]}),
        ("Courses", {"fields": ["courses"]}),
        ("Notes", {"fields": ["notes"]}),
    ]
    change_form_template = "admin/trainers/trainer/change_form.html"

    def get_queryset(self, request):
        return selectors.trainer_list().prefetch_related("courses")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The session form's trainer box offers only trainers who still work for us.
        if request.GET.get("model_name") == "coursesession" and request.GET.get("field_name") == "trainer":
            queryset = queryset.filter(is_active=True)
        return queryset, may_have_duplicates

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["upcoming_days"] = selectors.trainer_upcoming_days(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            upcoming = selectors.trainer_upcoming_days(obj).count()
            if upcoming:
                self.message_user(
                    request,
                    f"{obj.name} is still on {upcoming} upcoming day(s): give those sessions another trainer.",
                    messages.WARNING,
                )

    @admin.display(description="Phone")
    def phone_number(self, trainer):
        return trainer.phone.as_national if trainer.phone else "-"

    @admin.display(description="Courses")
    def course_titles(self, trainer):
        return ", ".join(course.title for course in trainer.courses.all()) or "-"

    @admin.display(description="Next day on a session", ordering="next_day_at")
    def next_day(self, trainer):
        if not trainer.next_day_at:
            return "-"
        return format_html(
            '<time datetime="{}">{}</time>', trainer.next_day_at.isoformat(), uk_datetime(trainer.next_day_at)
        )
