"""The session admin: its inlines, filter and form, and the cancel, CSV sign-in sheet and promote actions.

The trainer is checked free (trainers/services.py) when the days are validated, under the
trainer's lock and before anything is saved, because only then are the new days, the new
venue and the new trainer all known; the admin then saves the trainer through
session_assign_trainer once the days are in."""

import csv

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin import ReadOnlyTabularInline
from core.spreadsheets import csv_cell
from trainers.services import session_assign_trainer, trainer_check_free, trainer_lock

from .. import notifications, selectors, services
from ..models import SEAT_HOLDING, Booking, BookingStatus, CourseSession, SessionDay, SessionStatus
from .common import confirm_with_reason, model_fields_changed, po_summary, staff_actor, uk_datetime, uk_span


class UpcomingFilter(admin.SimpleListFilter):
    title = "upcoming or past"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        # A multi-day session still running counts as upcoming: the office still deals with it.
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(ends_at__gt=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lte=now)
        return queryset


class SessionDayFormSet(BaseInlineFormSet):
    """Checks the days together and keeps the session's span in step before it is saved."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        spans = sorted(
            (form.cleaned_data["starts_at"], form.cleaned_data["ends_at"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        )
        if not spans:
            raise ValidationError("A session needs at least one day.")
        for (_start, end), (next_start, _end) in zip(spans, spans[1:], strict=False):
            if next_start < end:
                raise ValidationError("Two of the days overlap.")
        session = self.instance
        old_start = session.starts_at
        session.starts_at, session.ends_at = spans[0][0], spans[-1][1]
        closes = session.booking_closes_at
        if old_start and closes == old_start - settings.BOOKING_CLOSES_BEFORE_START:
            # The closing time was the default: it moves with the dates.
            session.booking_closes_at = closes = session.starts_at - settings.BOOKING_CLOSES_BEFORE_START
        if closes and closes > session.starts_at:
            raise ValidationError(
                f"Booking closes at {uk_datetime(closes)}, after the first day starts. "
                "Change the closing time, or clear it for 24 hours before the start."
            )
        self.check_trainer(spans)

    def check_trainer(self, spans):
        """A new trainer, new days or a new venue: the trainer must be free on every day. The
        lock is held until the admin's transaction ends, after the save."""
        session = self.instance
        if not session.trainer_id or session.is_cancelled:
            return
        if session.pk and not self.has_changed():
            before = CourseSession.objects.filter(pk=session.pk).values_list("trainer_id", "venue_id").first()
            if before == (session.trainer_id, session.venue_id):
                return
        try:
            trainer_check_free(
                trainer=trainer_lock(session.trainer),
                days=spans,
                course=session.course if session.course_id else None,
                exclude_session=session,
            )
        except ValidationError as exc:
            # Shown beside the trainer too (CourseSessionAdmin.render_change_form).
            session._trainer_errors = exc.message_dict["trainer"]
            raise ValidationError(exc.message_dict["trainer"]) from None
        session._trainer_checked = True


class SessionDayInline(admin.TabularInline):
    model = SessionDay
    formset = SessionDayFormSet
    min_num = 1
    extra = 0
    fields = ["starts_at", "ends_at"]
    verbose_name = "day"


class SessionBookingInline(ReadOnlyTabularInline):
    """The session's bookings and their delegates, read-only: changes go through the services."""

    model = Booking
    fields = ["reference_link", "organisation", "status", "delegate_count", "delegate_names", "po"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]
    verbose_name_plural = "bookings"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("delegates")

    @admin.display(description="Reference")
    def reference_link(self, booking):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:booking_booking_change", args=[booking.pk]), booking.reference
        )

    @admin.display(description="Delegates")
    def delegate_count(self, booking):
        return booking.delegate_count()

    @admin.display(description="Names")
    def delegate_names(self, booking):
        return ", ".join(delegate.name for delegate in booking.delegates.all())

    @admin.display(description="PO")
    def po(self, booking):
        return po_summary(booking)


class CourseSessionAdminForm(forms.ModelForm):
    # No Meta: the admin builds the form for its model from the fieldsets.

    def clean_capacity(self):
        # The service refuses too; checking here turns that into an error beside the field.
        capacity = self.cleaned_data.get("capacity")
        if self.instance.pk and capacity is not None and "capacity" in self.changed_data:
            taken = services.seats_taken(self.instance)
            if capacity < taken:
                raise ValidationError(f"{taken} seats are already booked; the capacity cannot go below that.")
        return capacity


@admin.register(CourseSession)
class CourseSessionAdmin(admin.ModelAdmin):
    form = CourseSessionAdminForm
    list_display = [
        "course",
        "start",
        "place",
        "trainer",
        "is_in_house",
        "status",
        "capacity",
        "seats_booked",
        "seats_left",
        "waiting",
        "bookable",
    ]
    list_display_links = ["course", "start"]
    ordering = ["starts_at", "pk"]
    list_filter = ["course", UpcomingFilter, "venue", "is_in_house", "status", "trainer"]
    list_select_related = ["course", "venue", "trainer"]
    search_fields = ["course__title", "venue__name", "venue__town", "trainer__name"]
    autocomplete_fields = ["venue", "trainer"]
    inlines = [SessionDayInline, SessionBookingInline]
    actions = ["cancel_sessions", "export_delegates", "promote_waiting_list"]

    def get_queryset(self, request):
        # Seats taken, left and waiting come annotated from the selector, in the same query.
        sessions = selectors.session_list()
        ordering = self.get_ordering(request)
        return sessions.order_by(*ordering) if ordering else sessions

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["course", "venue", "trainer"]}),
            ("Seats and price", {"fields": ["capacity", "price", "booking_closes_at"]}),
            ("For delegates", {"fields": ["joining_instructions"]}),
        ]
        if obj is not None:
            fieldsets[0][1]["fields"].insert(2, "dates")
            fieldsets[1][1]["fields"].insert(1, "seats")
            fieldsets.append(
                ("Status", {"fields": ["status", "cancelled_reason"], "description": CANCEL_HELP}),
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # The course is fixed once the session exists: its bookings were made for that course.
        fixed = ["course", "dates", "seats", "status", "cancelled_reason"]
        # A cancelled session holds no trainer's day: there is nothing to assign.
        return [*fixed, "trainer"] if obj.is_cancelled else fixed

    def get_inlines(self, request, obj):
        return [SessionDayInline] if obj is None else self.inlines

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        for message in getattr(form.instance, "_trainer_errors", []):
            form.add_error("trainer", message)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        # The trainer is saved by session_assign_trainer in save_related, once the days are in.
        if not change:
            obj.trainer = None
            super().save_model(request, obj, form, change)
            return
        # What delegates' calendars depend on, before this edit (compared after the days are saved).
        obj._previous_schedule = services.session_schedule(CourseSession.objects.get(pk=obj.pk))
        new_capacity = obj.capacity
        fields = [name for name in model_fields_changed(form) if name not in ("capacity", "trainer")]
        obj.save(update_fields=[*fields, "starts_at", "ends_at", "booking_closes_at", "updated_at"])
        if "capacity" in form.changed_data:
            waiting_before = obj.bookings.filter(status=BookingStatus.WAITLISTED).count()
            try:
                services.session_change_capacity(session=obj, capacity=new_capacity, actor=staff_actor(request))
            except ValidationError as exc:
                # Only if seats were booked between the form's check and now.
                obj.capacity = form.initial["capacity"]
                self.message_user(request, f"Capacity not changed: {' '.join(exc.messages)}", messages.ERROR)
                return
            promoted = waiting_before - obj.bookings.filter(status=BookingStatus.WAITLISTED).count()
            if promoted:
                self.message_user(request, f"{promoted} waiting booking(s) promoted into the new seats.")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.session_sync_span(form.instance)
        if "trainer" in form.changed_data or getattr(form.instance, "_trainer_checked", False):
            # Checked already under the trainer's lock (SessionDayFormSet); the service checks
            # again against the days now saved, in the same transaction.
            session = session_assign_trainer(
                session=form.instance, trainer=form.cleaned_data.get("trainer"), actor=staff_actor(request)
            )
            form.instance.trainer = session.trainer
        previous = getattr(form.instance, "_previous_schedule", None)
        if previous and services.session_schedule_changed(
            session=form.instance, previous=previous, actor=staff_actor(request)
        ):
            self.message_user(request, "The dates or venue changed: delegates get updated invites, bookers a notice.")

    @admin.display(description="Starts", ordering="starts_at")
    def start(self, session):
        return uk_datetime(session.starts_at)

    @admin.display(description="Place", ordering="venue__town")
    def place(self, session):
        return session.venue.place

    @admin.display(description="Booked", ordering="seats_taken")
    def seats_booked(self, session):
        return session.seats_taken

    @admin.display(description="Left", ordering="seats_remaining")
    def seats_left(self, session):
        return session.seats_remaining

    @admin.display(description="Waiting", ordering="waiting_list_count")
    def waiting(self, session):
        return session.waiting_list_count

    @admin.display(description="Bookable", boolean=True)
    def bookable(self, session):
        return session.bookable

    @admin.display(description="Dates")
    def dates(self, session):
        return format_html_join(mark_safe("<br>"), "{}", ((str(day),) for day in session.days.all()))

    @admin.display(description="Seats")
    def seats(self, session):
        taken = getattr(session, "seats_taken", None)
        if taken is None:
            taken = services.seats_taken(session)
        waiting = getattr(session, "waiting_list_count", 0)
        left = max(session.capacity - taken, 0)
        return f"{taken} booked, {left} left, {waiting} waiting"

    @admin.action(description="Cancel selected sessions (cancels their bookings)", permissions=["change"])
    def cancel_sessions(self, request, queryset):
        sessions = list(queryset.exclude(status=SessionStatus.CANCELLED))
        if not sessions:
            self.message_user(request, "The selected sessions are already cancelled.", messages.WARNING)
            return None
        reason = confirm_with_reason(
            self,
            request,
            sessions,
            title="Cancel sessions",
            intro="These sessions and every active booking on them will be cancelled. Every booker and every "
            "delegate with a place is emailed at once; each booking's history records the cancellation and the reason.",
            button="Yes, cancel the sessions and email everyone",
            action="cancel_sessions",
            preview=lambda form: notifications.session_cancel_preview(
                sessions, (form.cleaned_data or {}).get("reason", "") if form.is_bound else ""
            ),
        )
        if not isinstance(reason, str):
            return reason
        bookings = 0
        for session in sessions:
            bookings += session.bookings.exclude(status=BookingStatus.CANCELLED).count()
            services.session_cancel(session=session, reason=reason, actor=staff_actor(request))
        self.message_user(request, f"Cancelled {len(sessions)} session(s) and {bookings} booking(s).")
        return None

    @admin.action(description="Export delegate list (CSV sign-in sheet)", permissions=["view"])
    def export_delegates(self, request, queryset):
        holding = (
            Booking.objects.filter(status__in=SEAT_HOLDING)
            .order_by("organisation", "created_at", "pk")
            .prefetch_related("delegates")
        )
        sessions = queryset.prefetch_related(Prefetch("bookings", queryset=holding, to_attr="seat_bookings"))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="sign-in-sheet-{timezone.localdate():%Y-%m-%d}.csv"'
        response.write("\ufeff")  # so Excel reads the names as UTF-8
        writer = csv.writer(response)
        writer.writerow(CSV_HEADER)
        for session in sessions.order_by("starts_at", "pk"):
            when = uk_span(session)
            for booking in session.seat_bookings:
                for delegate in booking.delegates.all():
                    writer.writerow(
                        [
                            csv_cell(value)
                            for value in [
                                session.pk,
                                when,
                                session.course.title,
                                str(session.venue),
                                booking.reference,
                                booking.organisation,
                                delegate.name,
                                delegate.email,
                                delegate.job_role,
                                delegate.adjustments,
                                booking.get_status_display(),
                                "",
                            ]
                        ]
                    )
        return response

    @admin.action(description="Promote the waiting list", permissions=["change"])
    def promote_waiting_list(self, request, queryset):
        promoted, skipped = 0, 0
        for session in queryset:
            if session.not_bookable_reason():
                skipped += 1
                continue
            promoted += len(services.waitlist_promote(session=session, actor=staff_actor(request)))
        message = f"{promoted} waiting booking(s) promoted."
        if not promoted:
            message = "No waiting booking fits the free seats."
        if skipped:
            message += f" {skipped} session(s) skipped: cancelled, closed or past."
        self.message_user(request, message, messages.SUCCESS if promoted else messages.WARNING)


CANCEL_HELP = "To cancel a session and its bookings, use the action on the session list."

CSV_HEADER = [
    "Session",
    "Date",
    "Course",
    "Venue",
    "Booking reference",
    "Organisation",
    "Delegate",
    "Email",
    "Job role",
    "Access needs",
    "Booking status",
    "Signature",
]
