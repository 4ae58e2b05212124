"""The venue admin, with each venue's count of upcoming sessions."""

from django.contrib import admin
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from ..models import Venue


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "town", "postcode", "is_online", "upcoming_sessions"]
    list_filter = ["is_online"]
    search_fields = ["name", "town", "postcode", "address"]
    # Explicit: the model's ordering is dropped from queries that aggregate.
    ordering = ["name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "is_online", "joining_link"]}),
        ("Address", {"fields": ["address", ("town", "postcode")]}),
        ("For delegates", {"fields": ["access_notes", "parking_notes"]}),
    ]

    def get_queryset(self, request):
        upcoming = Q(sessions__ends_at__gt=timezone.now())
        return super().get_queryset(request).annotate(_upcoming=Count("sessions", filter=upcoming))

    @admin.display(description="Upcoming sessions", ordering="_upcoming")
    def upcoming_sessions(self, venue):
        return venue._upcoming
