"""Partner API keys for the office: make one (the key is shown once, in the message after saving),
change its limits, revoke it. Keys are never deleted: what was made with one stays attributed.

Webhooks: endpoints (their signing secret shown to copy to the partner, rolled by an action, a test
event sent by another) and the deliveries, read-only, resent by staff who may change them."""

import json

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from core.admin import RecordAdmin
from core.templatetags.uk import uk_datetime

from . import delivery, services
from .models import DeliveryStatus, EventType, PartnerKey, WebhookDelivery, WebhookEndpoint


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


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Which events this URL receives.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["partner_key", "url", "events", "active", "description"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "owner", "event_count", "active", "created_at"]
    list_filter = ["active", ("partner_key", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["url", "description", "partner_key__organisation"]
    list_select_related = ["partner_key"]
    actions = ["send_test", "roll_secret"]

    def get_fields(self, request, obj=None):
        fields = ["partner_key", "url", "events", "active", "description"]
        if obj is None:
            return fields
        # Whoever holds the secret can sign events as us: only those who may change the endpoint
        # see it (view-only staff, such as Sales, do not).
        secret = ["secret_shown"] if self.has_change_permission(request, obj) else []
        return [*fields, *secret, "deliveries", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # The owner is fixed once made: deliveries already written for one partner's bookings
        # must never go to another partner's address.
        return [] if obj is None else ["partner_key", "secret_shown", "deliveries", "created_at"]

    @admin.display(description="owner", ordering="partner_key__organisation")
    def owner(self, obj):
        return obj.partner_key.organisation if obj.partner_key_id else "Office (every event)"

    @admin.display(description="events")
    def event_count(self, obj):
        return ", ".join(obj.events)

    @admin.display(description="signing secret")
    def secret_shown(self, obj):
        return format_html(
            "<code>{}</code><div class='help'>Give it to the partner to check each request's Webhook-Signature. "
            "'Roll the signing secret' makes a new one, used from the next request on.</div>",
            obj.secret,
        )

    @admin.display(description="deliveries")
    def deliveries(self, obj):
        url = reverse("admin:partners_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html('<a href="{}">{} deliveries</a>', url, obj.deliveries.count())

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            messages.info(
                request,
                format_html("The signing secret for {}: <code>{}</code> (also on its page).", obj.url, obj.secret),
            )

    @admin.action(description="Send a test event to the selected endpoints", permissions=["change"])
    def send_test(self, request, queryset):
        sent = [endpoint for endpoint in queryset if endpoint.receives]
        for endpoint in sent:
            delivery.endpoint_send_test(endpoint=endpoint)
        skipped = queryset.count() - len(sent)
        self.message_user(
            request,
            f"Test event queued for {len(sent)} endpoint(s)"
            + (f"; {skipped} inactive (or with a revoked key) left out." if skipped else ".")
            + " See the deliveries for the answer.",
            messages.SUCCESS if sent else messages.WARNING,
        )

    @admin.action(description="Roll the signing secret of the selected endpoints", permissions=["change"])
    def roll_secret(self, request, queryset):
        for endpoint in queryset:
            delivery.endpoint_roll_secret(endpoint=endpoint)
        self.message_user(
            request,
            f"New signing secret for {queryset.count()} endpoint(s): give it to the partner from the endpoint's page.",
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_response_status",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["event_id", "booking__reference", "endpoint__url"]
    list_select_related = ["endpoint__partner_key"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = [
        "event_id",
        "event_type",
        "endpoint",
        "booking",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "last_response_status",
        "last_error",
        "payload",
    ]
    readonly_fields = fields

    @admin.display(description="payload (as sent)")
    def payload(self, obj):
        try:
            text = json.dumps(json.loads(obj.body), indent=2, ensure_ascii=False)
        except ValueError:
            text = obj.body
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", text)

    def has_resend_permission(self, request):
        return request.user.has_perm("partners.change_webhookdelivery")

    @admin.action(description="Resend the selected deliveries (sent or failed)", permissions=["resend"])
    def resend(self, request, queryset):
        pending = queryset.filter(status=DeliveryStatus.PENDING).count()
        count = delivery.delivery_resend(deliveries=list(queryset))
        self.message_user(
            request,
            f"Resending {count} deliver{'ies' if count != 1 else 'y'}"
            + (f"; {pending} still pending left on their schedule." if pending else "."),
            messages.SUCCESS if count else messages.WARNING,
        )
