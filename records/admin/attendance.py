"""The office's way to attendance: sessions whose first day has come (the trainer's page's
rule), how many marks are in, and per session the same day forms as the trainer's phone page
(forms_attendance.py and the template partial), saved through attendance_mark() in the staff
user's name. The trainer's link is shown with a copy button and can be emailed to them again.

Who may do what follows the session's own permissions: those who may change sessions (the
office) mark; those who may only view them (Sales) see where attendance stands."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from booking.models import DELEGATES_INFORMED, Delegate, SessionDay, SessionStatus
from core.admin import RecordAdmin
from core.templatetags.uk import uk_datetime, uk_span
from outbox.models import OutboundEmail

from .. import links
from ..emails import attendance_link_key, queue_attendance_link
from ..forms_attendance import attendance_form_save, attendance_page
from ..models import Attendance
from ..proxies import SessionAttendance
from ..services import attendance_link_renew, attendance_open_sessions


def _count(queryset, by):
    """A per-session count as a subquery, so several counts never multiply each other's joins."""
    counted = queryset.filter(**{by: OuterRef("pk")}).order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def staff_name(user):
    return user.get_full_name() or user.get_username()


def may_view_sessions(user):
    return user.has_perm("booking.view_coursesession") or user.has_perm("booking.change_coursesession")


class AttendanceFilter(admin.SimpleListFilter):
    title = "attendance"
    parameter_name = "attendance"

    def lookups(self, request, model_admin):
        return [("awaiting", "Awaiting attendance"), ("completed", "Completed")]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.filter(completed_at__isnull=True)
        if self.value() == "completed":
            return queryset.filter(completed_at__isnull=False)
        return queryset


@admin.register(SessionAttendance)
class SessionAttendanceAdmin(admin.ModelAdmin):
    list_display = ["course_title", "dates", "venue_place", "trainer", "marks", "completion"]
    list_display_links = ["course_title"]
    list_filter = [AttendanceFilter]
    search_fields = ["course__title", "trainer__name", "venue__name", "venue__town"]
    ordering = ["-starts_at", "pk"]
    list_per_page = 50
    template = "admin/records/sessionattendance/attendance.html"

    def get_queryset(self, request):
        """Sessions whose attendance can be taken (from their first day's date) and were not
        cancelled, with their marks and the marks expected (people on the session times days)
        counted."""
        people = Delegate.objects.filter(booking__status__in=DELEGATES_INFORMED)
        marks = Attendance.objects.filter(delegate__booking__status__in=DELEGATES_INFORMED)
        return (
            attendance_open_sessions(super().get_queryset(request))
            .exclude(status=SessionStatus.CANCELLED)
            .select_related("course", "venue", "trainer")
            .prefetch_related("days")
            .annotate(
                people=_count(people, "booking__session"),
                day_count=_count(SessionDay.objects.all(), "session"),
                marked=_count(marks, "day__session"),
            )
        )

    # Permissions: the session's own, or this page's (its proxy's default permissions).

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return may_view_sessions(request.user) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("booking.change_coursesession") or super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # The list.

    @admin.display(description="Course", ordering="course__title")
    def course_title(self, session):
        return session.course.title

    @admin.display(description="Dates", ordering="starts_at")
    def dates(self, session):
        days = list(session.days.all())
        if len(days) <= 1:
            return uk_span(session.starts_at, session.ends_at)
        return f"{uk_span(days[0].starts_at, days[0].ends_at)} ({len(days)} days)"

    @admin.display(description="Where", ordering="venue__town")
    def venue_place(self, session):
        return session.venue.place

    @admin.display(description="Marked")
    def marks(self, session):
        return f"{session.marked} of {session.people * session.day_count}"

    @admin.display(description="Completed", ordering="completed_at")
    def completion(self, session):
        if session.completed_at:
            return format_html(
                '<time datetime="{}">{}</time>', session.completed_at.isoformat(), uk_datetime(session.completed_at)
            )
        return "Awaiting attendance"

    # The session's page: the day forms, the trainer's link.

    def change_view(self, request, object_id, form_url="", extra_context=None):
        session = self.get_object(request, unquote(object_id))
        if session is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, session):
            raise PermissionDenied
        can_mark = self.has_change_permission(request, session)
        bound, status = None, 200
        if request.method == "POST":
            if not can_mark:
                raise PermissionDenied
            if "send_link" in request.POST:
                self.send_link(request, session)
                return redirect(request.path)
            if "new_link" in request.POST:
                attendance_link_renew(session=session)
                self.message_user(
                    request,
                    "A new link is made and the old one no longer works. Email it to the trainer.",
                    messages.SUCCESS,
                )
                return redirect(request.path)
            bound, saved = attendance_form_save(session, request.POST, actor=staff_name(request.user))
            if saved:
                self.message_user(request, saved, messages.SUCCESS)
                return redirect(request.path)
            if bound is None:
                self.message_user(request, "That day is not part of this course: reload the page.", messages.ERROR)
            session = self.get_object(request, unquote(object_id))
            status = 400
        context = {
            **self.admin_site.each_context(request),
            **attendance_page(session, bound=bound),
            "title": f"Attendance: {session.course.title}",
            "subtitle": str(session),
            "opts": self.opts,
            "original": session,
            "action": request.path,
            "can_mark": can_mark,
            "show_numbers": True,
            "error_summary": bound.error_summary() if bound is not None else [],
            # The link lets anyone holding it mark attendance: only for those who may mark.
            "attendance_url": links.attendance_url(session) if can_mark else "",
            "link_sent": self.link_sent(session),
            "link_closes": links.attendance_link_closes(session),
            "session_url": reverse("admin:booking_coursesession_change", args=[session.pk]),
            "changelist_url": reverse("admin:records_sessionattendance_changelist"),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.template, context, status=status)

    def link_sent(self, session):
        return OutboundEmail.objects.filter(unique_key=attendance_link_key(session)).order_by("-created_at").first()

    def send_link(self, request, session):
        trainer = session.trainer
        if trainer is None or not trainer.email:
            self.message_user(
                request,
                "This session has no trainer with an email address: add one to the session first.",
                messages.ERROR,
            )
            return
        already = self.link_sent(session)
        if already:
            # The outbox sends each link once; a second copy is its Resend button.
            self.message_user(
                request,
                f"The link was already emailed to {trainer.name} ({uk_datetime(already.created_at)}). "
                "To send it again, use Resend on that email in the outbox.",
                messages.WARNING,
            )
            return
        if queue_attendance_link(session):
            self.message_user(request, f"The attendance link is on its way to {trainer.name} at {trainer.email}.")
        else:
            self.message_user(request, "Emails are switched off here: nothing was sent.", messages.WARNING)


@admin.register(Attendance)
class AttendanceAdmin(RecordAdmin):
    """Each mark as recorded, for looking things up: marks are made on the session's attendance page."""

    list_display = ["delegate_name", "session", "day", "status", "marked_by", "marked_at"]
    list_filter = ["status"]
    search_fields = ["delegate__name", "delegate__email", "day__session__course__title", "marked_by"]
    list_select_related = ["delegate", "day__session__course", "day__session__venue"]
    date_hierarchy = "marked_at"

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return may_view_sessions(request.user) or super().has_view_permission(request, obj)

    @admin.display(description="Delegate", ordering="delegate__name")
    def delegate_name(self, attendance):
        return attendance.delegate.name

    @admin.display(description="Session", ordering="day__session__starts_at")
    def session(self, attendance):
        url = reverse("admin:records_sessionattendance_change", args=[attendance.day.session_id])
        return format_html('<a href="{}">{}</a>', url, attendance.day.session)
