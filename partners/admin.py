"""Partner API keys for the office: make one (the key is shown once, in the message after saving),
change its limits, revoke it. Keys are never deleted: what was made with one stays attributed."""

from django.contrib import admin, messages
from django.utils.html import format_html

from core.templatetags.uk import uk_datetime

from . import services
from .models import PartnerKey


@admin.register(PartnerKey)
class PartnerKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix_shown", "organisation", "contact_email", "revoked", "last_used", "created_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["organisation", "prefix", "contact_email"]
    fields = ["organisation", "contact_email", "bookings_per_hour", "leads_per_hour"]
    readonly_fields = ["prefix_shown", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else [*self.readonly_fields[:1], *self.fields, *self.readonly_fields[1:]]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    @admin.display(description="key", ordering="prefix")
    def prefix_shown(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description="revoked", boolean=True, ordering="revoked_at")
    def revoked(self, obj):
        return obj.revoked_at is not None

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, obj):
        return uk_datetime(obj.last_used_at) if obj.last_used_at else "never"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        new = services.partner_key_create(
            organisation=obj.organisation,
            contact_email=obj.contact_email,
            created_by=request.user,
            bookings_per_hour=obj.bookings_per_hour,
            leads_per_hour=obj.leads_per_hour,
        )
        obj.pk = new.partner_key.pk
        obj.__dict__.update({k: v for k, v in new.partner_key.__dict__.items() if not k.startswith("_")})
        messages.warning(
            request,
            format_html(
                "The API key for {}: <code>{}</code>. Copy it now and send it to the partner securely: "
                "it is not stored and will not be shown again.",
                obj.organisation,
                new.key,
            ),
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        count = sum(services.partner_key_revoke(partner_key=key) for key in queryset)
        self.message_user(request, f"Revoked {count} key{'s' if count != 1 else ''}.", messages.SUCCESS)
