from django.contrib import admin


class ReadOnlyTabularInline(admin.TabularInline):
    """A record shown beside its parent (delegates, history, timeline): read, never edited here.
    Changes go through the services, which keep the rules and the history."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
