from csp.decorators import csp
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.clickjacking import xframe_options_sameorigin

from core.admin import ReadOnlyTabularInline, RecordAdmin, action_form_page

from . import registry, rendering, services
from .models import PROBLEM_STATUSES, EmailStatus, EmailTemplate, OutboundEmail


def status_badge(email):
    # Coloured by static/css/outbox-admin.css: no style attributes under the site's CSP.
    return format_html(
        '<strong class="email-status email-status-{}">{}</strong>', email.status, email.get_status_display()
    )


def may_see_manage_links(user):
    """Only staff who may change bookings see the booker's manage and confirm links in emails;
    others (Sales) read the emails with the tokens hidden, so they cannot act as the booker."""
    return user.has_perm("booking.change_booking")


class OutboxMedia:
    css = {"all": ["css/outbox-admin.css"]}


class EmailProblemsInline(ReadOnlyTabularInline):
    """A booking's or a lead's emails that failed or may not have arrived, linking to each in the
    outbox, where staff read why and resend. Add it to the BookingAdmin's or LeadAdmin's inlines:
    the parent's foreign key (OutboundEmail.booking or .lead) is found by its model."""

    model = OutboundEmail
    fields = ["kind", "recipients", "status_shown", "last_error", "email_link"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    verbose_name = "email problem"
    verbose_name_plural = "emails that failed or may not have arrived"
    Media = OutboxMedia

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status__in=PROBLEM_STATUSES)

    @admin.display(description="Status")
    def status_shown(self, email):
        return status_badge(email)

    @admin.display(description="Email")
    def email_link(self, email):
        url = reverse("admin:outbox_outboundemail_change", args=[email.pk])
        return format_html('<a href="{}">{}</a>', url, email.subject)


class ConfirmResendForm(forms.Form):
    """Nothing to fill in: the page is there to make staff stop and check."""


@admin.register(OutboundEmail)
class OutboundEmailAdmin(RecordAdmin):
    list_display = ["created_at", "kind", "recipients", "subject", "status_badge", "attempts", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["recipients", "subject", "booking__reference"]
    date_hierarchy = "created_at"
    list_select_related = ["booking"]
    actions = ["resend"]
    Media = OutboxMedia
    fields = [
        "kind",
        "status",
        "recipients",
        "from_email",
        "subject",
        "booking",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "message_id",
        "last_error",
        "attachment_names",
        "body_text",
        "html_preview",
    ]
    readonly_fields = [*fields, "body_text_masked"]

    def lookup_allowed(self, lookup, value, request=None):
        # Filters in the URL only on what the sidebar and search offer: a filter on the body
        # (?body_text__regex=...) would let staff who see it masked read a token one count at a time.
        field = lookup.split("__")[0]
        if field in {"body_text", "body_html", "attachments", "headers", "message_id"}:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_fields(self, request, obj=None):
        if may_see_manage_links(request.user):
            return self.fields
        return [("body_text_masked" if name == "body_text" else name) for name in self.fields]

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("<int:pk>/preview/", preview, name="outbox_outboundemail_preview"), *super().get_urls()]

    @admin.display(description="Body text")
    def body_text_masked(self, email):
        return registry.mask_private_links(email.body_text)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, email):
        return status_badge(email)

    @admin.display(description="Attachments")
    def attachment_names(self, email):
        return ", ".join(attachment["filename"] for attachment in email.attachments) or "None"

    @admin.display(description="HTML version")
    def html_preview(self, email):
        if not email.body_html:
            return "None"
        # A sandboxed frame (no scripts, no access to the admin page) showing preview_view.
        url = reverse("admin:outbox_outboundemail_preview", args=[email.pk])
        return format_html(
            '<iframe class="email-preview" sandbox="" title="The HTML version as sent" src="{}"></iframe>', url
        )

    # The HTML as sent, on its own URL with a policy of its own: an email styles itself inline,
    # which the admin's policy rightly forbids, and it may never run a script or send a form.
    @xframe_options_sameorigin
    @csp(
        {
            "default-src": ["'none'"],
            "style-src": ["'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "frame-ancestors": ["'self'"],
            "base-uri": ["'none'"],
            "form-action": ["'none'"],
        }
    )
    def preview_view(self, request, pk):
        email = get_object_or_404(OutboundEmail, pk=pk)
        if not self.has_view_permission(request, email):
            raise PermissionDenied
        html = email.body_html if may_see_manage_links(request.user) else registry.mask_private_links(email.body_html)
        return HttpResponse(html)

    def has_resend_permission(self, request):
        return request.user.has_perm("outbox.resend_outboundemail")

    @admin.action(description="Resend the selected failed (or delivery unknown) emails", permissions=["resend"])
    def resend(self, request, queryset):
        emails = list(queryset)
        unknown = [email for email in emails if email.status == EmailStatus.UNKNOWN]
        if unknown:
            # These may have arrived: resend only once staff have checked and said so.
            confirmed = action_form_page(
                self,
                request,
                emails,
                form_class=ConfirmResendForm,
                title="Resend emails that may already have been delivered?",
                intro=f"{len(unknown)} of these emails went to the mail server, but it never confirmed that it "
                'accepted them (their status is "Delivery unknown"), so they may already have been '
                "delivered. Check with the recipients if you can: resending may give them a second copy "
                "(with the same Message-ID, so some mail programs hide it).",
                button="Yes, resend them",
                action="resend",
            )
            if not isinstance(confirmed, dict):
                return confirmed  # the question page
        count = services.email_resend(emails=emails, unknown_too=bool(unknown))
        skipped = len(emails) - count
        self.message_user(request, f"{count} email(s) queued again.")
        if skipped:
            self.message_user(request, f"{skipped} were not failed or unknown and were left alone.", messages.WARNING)


class EmailTemplateForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=())

    class Meta:
        model = EmailTemplate
        fields = ["kind", "subject", "body_text", "is_active"]
        widgets = {"body_text": forms.Textarea(attrs={"rows": 24, "cols": 100})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = registry.choices()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind not in registry.KINDS:
            return data
        for field in ["subject", "body_text"]:
            if data.get(field):
                try:
                    rendering.check_wording(kind, data[field])
                except rendering.WordingError as exc:
                    self.add_error(field, str(exc))
        return data


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    form = EmailTemplateForm
    list_display = ["__str__", "kind", "is_active", "updated_at"]
    list_filter = ["is_active"]
    readonly_fields = ["placeholders"]

    def get_fields(self, request, obj=None):
        return ["kind", "placeholders", "subject", "body_text", "is_active"]

    @admin.display(description="Placeholders you can use")
    def placeholders(self, template):
        kind = registry.KINDS.get(template.kind) if template and template.kind else None
        if kind is None:
            return "Choose the kind of email and save; its placeholders are then listed here."
        rows = ((f"{{{{ {name} }}}}", description) for name, description in kind.placeholders.items())
        return format_html("<ul>{}</ul>", format_html_join("", "<li><code>{}</code>: {}</li>", rows))

    def get_changeform_initial_data(self, request):
        # Start from the file templates' wording for the chosen kind (?kind=booking_confirmation).
        initial = super().get_changeform_initial_data(request)
        kind = request.GET.get("kind")
        if kind in registry.KINDS:
            initial["subject"], initial["body_text"] = rendering.default_wording(kind)
        return initial
