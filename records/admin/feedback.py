"""Delegates' feedback in the office: every response (read, never edited), the results by
course, trainer and session, and the quotes awaiting moderation, each published as a
testimonial on its course and sector pages, or declined, in one step.

Seeing feedback and its results needs "view feedback" (records.view_feedback). Publishing and
declining quotes, which puts words on the public site, needs "Can add testimonial"
(courses.add_testimonial) as well.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from core.admin import RecordAdmin, action_form_page
from core.templatetags.uk import uk_date, uk_datetime
from courses.models import Sector

from ..models import Feedback, Moderation
from ..services.feedback import (
    default_sector,
    feedback_decline,
    feedback_publish,
    feedback_results,
    feedback_unpublish,
)

CHANGELIST = "admin:records_feedback_changelist"
PENDING_FILTER = "?moderation=pending"


def _errors(exc):
    return exc.messages


class ModerationFilter(admin.SimpleListFilter):
    title = "quote"
    parameter_name = "moderation"
    NONE = "none"

    def lookups(self, request, model_admin):
        return [
            (Moderation.PENDING, "Awaiting moderation"),
            (Moderation.PUBLISHED, "Published"),
            (Moderation.DECLINED, "Declined"),
            (self.NONE, "No quote offered"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.NONE:
            return queryset.filter(moderation=Moderation.NOT_QUOTABLE)
        if value in dict(self.lookup_choices):
            return queryset.filter(moderation=value)
        return queryset


class SectorForm(forms.Form):
    sector = forms.ModelChoiceField(
        queryset=Sector.objects.filter(is_active=True),
        required=False,
        empty_label="Each quote's default sector",
        help_text="Leave it to show each quote on the course's sector matching the delegate's type of "
        "organisation (none if no sector matches), or choose one sector for all of them.",
    )


class PublishForm(forms.Form):
    quote = forms.CharField(
        label="Words to publish",
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        max_length=1000,
        help_text="You may shorten the delegate's words or correct a typing slip; do not change what they mean.",
    )
    sector = forms.ModelChoiceField(
        queryset=Sector.objects.filter(is_active=True),
        required=False,
        empty_label="No sector page (the course page only)",
        help_text="The sector page that shows it as well as the course page. Suggested: the course's sector "
        "matching the delegate's type of organisation.",
    )


@admin.register(Feedback)
class FeedbackAdmin(RecordAdmin):
    list_display = [
        "course",
        "session_date",
        "trainer",
        "content_rating",
        "trainer_rating",
        "relevance_rating",
        "average_shown",
        "moderation_shown",
    ]
    list_filter = [
        ModerationFilter,
        ("course", admin.RelatedOnlyFieldListFilter),
        ("trainer", admin.RelatedOnlyFieldListFilter),
        ("session", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["course", "trainer", "session", "testimonial"]
    search_fields = ["comment", "will_do_differently", "attribution_name", "organisation", "course__title"]
    date_hierarchy = "submitted_at"
    actions = ["publish", "decline"]
    fieldsets = [
        (None, {"fields": ["course", "session_link", "trainer", "submitted"]}),
        ("Ratings (1 to 5)", {"fields": ["content_rating", "trainer_rating", "relevance_rating", "average_shown"]}),
        ("In their words", {"fields": ["will_do_differently", "comment"]}),
        (
            "Quote",
            {
                "fields": [
                    "may_quote",
                    "attribution",
                    "attribution_name",
                    "attribution_role",
                    "organisation",
                    "moderation_shown",
                    "testimonial_link",
                ]
            },
        ),
    ]
    readonly_fields = [
        "course",
        "session_link",
        "trainer",
        "submitted",
        "content_rating",
        "trainer_rating",
        "relevance_rating",
        "average_shown",
        "will_do_differently",
        "comment",
        "may_quote",
        "attribution",
        "attribution_name",
        "attribution_role",
        "organisation",
        "moderation_shown",
        "testimonial_link",
    ]

    def has_publish_permission(self, request):
        return self.has_view_permission(request) and request.user.has_perm("courses.add_testimonial")

    def has_unpublish_permission(self, request):
        # Taking a quote down deletes its testimonial.
        return self.has_publish_permission(request) and request.user.has_perm("courses.delete_testimonial")

    # Columns and fields ---------------------------------------------------------------------------

    @admin.display(description="Session date", ordering="session__starts_at")
    def session_date(self, feedback):
        return uk_date(feedback.session.starts_at)

    @admin.display(description="Session")
    def session_link(self, feedback):
        url = reverse("admin:booking_coursesession_change", args=[feedback.session_id])
        return format_html('<a href="{}">{}</a>', url, feedback.session)

    @admin.display(description="Given")
    def submitted(self, feedback):
        return uk_datetime(feedback.submitted_at)

    @admin.display(description="Average")
    def average_shown(self, feedback):
        return f"{feedback.average:.1f}"

    @admin.display(description="Quote", ordering="moderation")
    def moderation_shown(self, feedback):
        return feedback.get_moderation_display()

    @admin.display(description="Testimonial")
    def testimonial_link(self, feedback):
        if feedback.testimonial_id is None:
            return "-"
        url = reverse("admin:courses_testimonial_change", args=[feedback.testimonial_id])
        return format_html('<a href="{}">{}</a>', url, feedback.testimonial)

    # The list and the page -----------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "pending_count": Feedback.objects.filter(moderation=Moderation.PENDING).count(),
            "pending_url": reverse(CHANGELIST) + PENDING_FILTER,
            "results_url": reverse("admin:records_feedback_results"),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        feedback = self.get_object(request, object_id)
        may_moderate = feedback is not None and self.has_publish_permission(request)
        extra_context = {
            **(extra_context or {}),
            "publish_url": reverse("admin:records_feedback_publish", args=[object_id])
            if may_moderate and feedback.moderation == Moderation.PENDING
            else None,
            "decline_url": reverse("admin:records_feedback_decline", args=[object_id])
            if may_moderate and feedback.moderation == Moderation.PENDING
            else None,
            "unpublish_url": reverse("admin:records_feedback_unpublish", args=[object_id])
            if may_moderate and feedback.moderation == Moderation.PUBLISHED and self.has_unpublish_permission(request)
            else None,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("results/", wrap(self.results_view), name="records_feedback_results"),
            path("<int:object_id>/publish/", wrap(self.publish_view), name="records_feedback_publish"),
            path("<int:object_id>/decline/", wrap(require_POST(self.decline_view)), name="records_feedback_decline"),
            path(
                "<int:object_id>/unpublish/",
                wrap(require_POST(self.unpublish_view)),
                name="records_feedback_unpublish",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template, context):
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            f"admin/records/feedback/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "changelist_url": reverse(CHANGELIST),
                **context,
            },
        )

    # Results --------------------------------------------------------------------------------------

    def results_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        results = feedback_results()
        changelist = reverse(CHANGELIST)
        for key, field in [("by_course", "course"), ("by_trainer", "trainer"), ("by_session", "session")]:
            for row in results[key]:
                row["url"] = f"{changelist}?{field}__id__exact={row[field]}" if row[field] else ""
        return self._page(
            request,
            "results.html",
            {
                "title": "Feedback results",
                "overall": results["overall"],
                "tables": [
                    ("by-course", "By course", "Course", results["by_course"]),
                    ("by-trainer", "By trainer", "Trainer", results["by_trainer"]),
                    ("by-session", "By session", "Session", results["by_session"]),
                ],
            },
        )

    # Moderation -----------------------------------------------------------------------------------

    def _moderated(self, request, object_id):
        feedback = get_object_or_404(Feedback.objects.select_related("course", "delegate__booking"), pk=object_id)
        if not self.has_publish_permission(request):
            raise PermissionDenied
        return feedback

    def _back(self, feedback):
        return HttpResponseRedirect(reverse("admin:records_feedback_change", args=[feedback.pk]))

    def publish_view(self, request, object_id):
        """One quote: its words (staff may trim them) and the sector page, then publish."""
        feedback = self._moderated(request, object_id)
        if feedback.moderation != Moderation.PENDING:
            self.message_user(request, "This quote is not awaiting moderation.", messages.WARNING)
            return self._back(feedback)
        if request.method == "POST":
            form = PublishForm(request.POST)
            if form.is_valid():
                try:
                    testimonial = feedback_publish(
                        feedback=feedback,
                        quote=form.cleaned_data["quote"],
                        sector=form.cleaned_data["sector"],
                        actor=request.user.get_username(),
                    )
                except ValidationError as exc:
                    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
                    for field, messages_ in errors.items():
                        form.add_error(field if field in form.fields else None, messages_)
                else:
                    self.log_change(request, feedback, f"Published as testimonial {testimonial.pk}.")
                    self.message_user(request, self._published_text(testimonial), messages.SUCCESS)
                    return HttpResponseRedirect(reverse(CHANGELIST) + PENDING_FILTER)
        else:
            form = PublishForm(initial={"quote": feedback.comment, "sector": default_sector(feedback)})
        return self._page(
            request,
            "publish.html",
            {"title": "Publish as testimonial", "feedback": feedback, "form": form, "original": feedback},
        )

    def decline_view(self, request, object_id):
        feedback = self._moderated(request, object_id)
        try:
            feedback_decline(feedback=feedback, actor=request.user.get_username())
        except ValidationError as exc:
            self.message_user(request, " ".join(_errors(exc)), messages.WARNING)
            return self._back(feedback)
        self.log_change(request, feedback, "Quote declined.")
        self.message_user(request, "Declined: the quote will not be published.", messages.SUCCESS)
        return HttpResponseRedirect(reverse(CHANGELIST) + PENDING_FILTER)

    def unpublish_view(self, request, object_id):
        feedback = self._moderated(request, object_id)
        if not self.has_unpublish_permission(request):
            raise PermissionDenied
        try:
            feedback_unpublish(feedback=feedback, actor=request.user.get_username())
        except ValidationError as exc:
            self.message_user(request, " ".join(_errors(exc)), messages.WARNING)
            return self._back(feedback)
        self.log_change(request, feedback, "Testimonial taken down; the quote is awaiting moderation again.")
        self.message_user(request, "Taken down: the quote is back in the moderation list.", messages.SUCCESS)
        return self._back(feedback)

    @staticmethod
    def _published_text(testimonial):
        where = "its course page" + (f" and the {testimonial.sector} sector page" if testimonial.sector else "")
        return f"Published on {where}: “{testimonial.quote[:60]}{'…' if len(testimonial.quote) > 60 else ''}”"

    @admin.action(description="Publish as testimonial", permissions=["publish"])
    def publish(self, request, queryset):
        chosen = list(queryset.select_related("course", "delegate__booking").order_by("submitted_at"))
        data = action_form_page(
            self,
            request,
            chosen,
            form_class=SectorForm,
            title="Publish quotes as testimonials",
            intro="Each quote goes on its course's page, in the delegate's words, named as they chose. "
            "To shorten or correct a quote first, open it and use “Publish as testimonial” on its page. "
            "Quotes not awaiting moderation are left as they are.",
            button="Publish",
            action="publish",
        )
        if not isinstance(data, dict):
            return data
        done, refused = 0, []
        for feedback in chosen:
            try:
                testimonial = feedback_publish(
                    feedback=feedback, sector=data["sector"], actor=request.user.get_username()
                )
            except ValidationError as exc:
                refused.append(f"{feedback}: {' '.join(_errors(exc))}")
            else:
                done += 1
                self.log_change(request, feedback, f"Published as testimonial {testimonial.pk}.")
        if done:
            self.message_user(request, f"Published {done} quote(s) as testimonials.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Left as they were: " + " ".join(refused), messages.WARNING)
        return None

    @admin.action(description="Decline (do not publish)", permissions=["publish"])
    def decline(self, request, queryset):
        done, refused = 0, 0
        for feedback in queryset:
            try:
                feedback_decline(feedback=feedback, actor=request.user.get_username())
            except ValidationError:
                refused += 1
            else:
                done += 1
                self.log_change(request, feedback, "Quote declined.")
        if done:
            self.message_user(request, f"Declined {done} quote(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, f"{refused} were not awaiting moderation and were left alone.", messages.WARNING)
