"""The lead list's filters. The list opens on "my open leads" (owner=me, state=open), so the two
filters that make that default have an explicit "All" value: choosing it is still a choice, and
only a bare changelist URL falls back to the default."""

from datetime import datetime, time, timedelta

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import services
from ..models import CLOSED_STATUSES, OPEN_STATUSES, Lead

ALL = "all"
DEFAULT_FILTERS = {"owner": "me", "state": "open"}


def today_bounds(now=None):
    today = timezone.localdate(now)
    start = timezone.make_aware(datetime.combine(today, time.min))
    return start, timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))


class ExplicitAllFilter(admin.SimpleListFilter):
    """'All' sets the parameter to 'all' rather than removing it."""

    def choices(self, changelist):
        choices = super().choices(changelist)
        everything = next(choices)
        everything["query_string"] = changelist.get_query_string({self.parameter_name: ALL})
        everything["selected"] = self.value() in (None, ALL)
        yield everything
        yield from choices


class OwnerFilter(ExplicitAllFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        people = [(str(user.pk), services.person_name(user)) for user in services.sales_staff()]
        # Leavers and former Sales members still holding open leads: their leads must be found to
        # be handed over.
        holding = Lead.objects.filter(owner=OuterRef("pk"), status__in=OPEN_STATUSES)
        former = (
            get_user_model()
            .objects.filter(Exists(holding))
            .exclude(pk__in=services.sales_staff().values("pk"))
            .order_by("first_name", "username")
        )
        people += [
            # An active superuser may own leads; anyone else no longer works them.
            (
                str(user.pk),
                services.person_name(user)
                if user.is_active and user.is_superuser
                else f"{services.person_name(user)} (inactive)",
            )
            for user in former
        ]
        return [("me", "Me"), ("none", "Unassigned"), *people]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(owner=request.user)
        if value == "none":
            return queryset.filter(owner__isnull=True)
        if value and value.isdigit():
            return queryset.filter(owner_id=int(value))
        return queryset


class OpenClosedFilter(ExplicitAllFilter):
    title = "open or closed"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed (won or lost)")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "closed":
            return queryset.filter(status__in=CLOSED_STATUSES)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
        return queryset


class DueTodayFilter(admin.SimpleListFilter):
    title = "due time"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("today", "Due today")]

    def queryset(self, request, queryset):
        if self.value() == "today":
            start, end = today_bounds()
            return queryset.filter(status__in=OPEN_STATUSES, due_at__gte=start, due_at__lt=end)
        return queryset


class SourceFilter(admin.SimpleListFilter):
    """Where leads came from: the normalised channel (enquiries/channels.py)."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        channels = Lead.objects.order_by("channel").values_list("channel", flat=True).distinct()
        return [(channel or "direct", channel or "direct") for channel in channels]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "direct":
            return queryset.filter(channel__in=["direct", ""])
        return queryset.filter(channel=value)
