"""Who takes new leads, and the newsletter's subscribers."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q

from core.templatetags.uk import uk_datetime

from .. import services
from ..models import OPEN_STATUSES, NewsletterSubscriber, SalesPerson, SubscriberStatus
from . import exports


@admin.register(SalesPerson)
class SalesPersonAdmin(admin.ModelAdmin):
    """The round robin: active users in the Sales group who take new leads, the one who has gone
    longest without a lead first. Everyone in the group gets a row when the next lead arrives."""

    list_display = ["__str__", "email", "takes_new_leads", "in_round_robin", "open_leads", "last_assigned"]
    list_editable = ["takes_new_leads"]
    list_filter = ["takes_new_leads"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    ordering = ["user__first_name", "user__username"]
    fields = ["user", "takes_new_leads", "last_assigned"]
    readonly_fields = ["last_assigned"]

    def get_queryset(self, request):
        in_sales = get_user_model().groups.through.objects.filter(
            user_id=OuterRef("user_id"), group__name=services.SALES_GROUP
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                _in_sales=Exists(in_sales),
                _open_leads=Count("user__leads", filter=Q(user__leads__status__in=OPEN_STATUSES)),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        return ["user", "last_assigned"] if obj else ["last_assigned"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = services.sales_staff().filter(sales_profile__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Email", ordering="user__email")
    def email(self, person):
        return person.user.email

    @admin.display(description="In the round robin", boolean=True)
    def in_round_robin(self, person):
        return bool(person.takes_new_leads and person.user.is_active and person._in_sales)

    @admin.display(description="Open leads", ordering="_open_leads")
    def open_leads(self, person):
        return person._open_leads

    @admin.display(description="Last new lead", ordering="last_assigned_at")
    def last_assigned(self, person):
        return uk_datetime(person.last_assigned_at) or "-"


@admin.register(NewsletterSubscriber)
class NewsletterSubscriberAdmin(admin.ModelAdmin):
    """Subscribers join by double opt-in and leave by the link in every newsletter, so neither the
    address nor the status is edited here; staff can unsubscribe someone who asks."""

    list_display = ["email", "name", "sector", "status", "signed_up", "confirmed"]
    list_filter = ["status", ("sector", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["sector"]
    search_fields = ["email", "name"]
    ordering = ["-created_at"]
    actions = ["unsubscribe", "export_personal_data"]
    fields = [
        "email",
        "name",
        "sector",
        "status",
        "signed_up",
        "consent",
        "confirmed",
        "unsubscribed",
        "source",
        "landing_page",
        "referrer",
        ("utm_source", "utm_medium", "utm_campaign"),
    ]
    readonly_fields = [
        "email",
        "status",
        "signed_up",
        "consent",
        "confirmed",
        "unsubscribed",
        "source",
        "landing_page",
        "referrer",
        "utm_source",
        "utm_medium",
        "utm_campaign",
    ]

    def has_add_permission(self, request):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("enquiries.export_lead")

    @admin.display(description="Signed up", ordering="created_at")
    def signed_up(self, subscriber):
        return uk_datetime(subscriber.created_at)

    @admin.display(description="Confirmed", ordering="confirmed_at")
    def confirmed(self, subscriber):
        return uk_datetime(subscriber.confirmed_at) or "-"

    @admin.display(description="Unsubscribed")
    def unsubscribed(self, subscriber):
        return uk_datetime(subscriber.unsubscribed_at) or "-"

    @admin.display(description="Consent")
    def consent(self, subscriber):
        if not subscriber.consent_at:
            return "-"
        return f"{uk_datetime(subscriber.consent_at)} (privacy notice {subscriber.privacy_notice_version or 'unknown'})"

    @admin.display(description="Source")
    def source(self, subscriber):
        return subscriber.source

    @admin.action(description="Unsubscribe selected subscribers", permissions=["change"])
    def unsubscribe(self, request, queryset):
        subscribers = list(queryset.exclude(status=SubscriberStatus.UNSUBSCRIBED))
        for subscriber in subscribers:
            services.newsletter_unsubscribe(subscriber=subscriber)
        self.message_user(request, f"{len(subscribers)} subscriber(s) unsubscribed.", messages.SUCCESS)

    @admin.action(description="Export everything held about this email address (JSON)", permissions=["export"])
    def export_personal_data(self, request, queryset):
        return exports.personal_data_download(self, request, queryset.values_list("email", flat=True))
