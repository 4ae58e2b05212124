from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from . import registry, rendering, services
from .models import EmailStatus, EmailTemplate, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipients", "subject", "status_badge", "attempts", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["recipients", "subject", "booking__reference"]
    date_hierarchy = "created_at"
    list_select_related = ["booking"]
    actions = ["resend"]
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
        "last_error",
        "attachment_names",
        "body_text",
        "html_preview",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The message as sent is a record: it is read, never edited.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Status", ordering="status")
    def status_badge(self, email):
        colours = {EmailStatus.SENT: "#1b6e3a", EmailStatus.FAILED: "#b3261e", EmailStatus.QUEUED: "#5c4a00"}
        return format_html(
            '<strong style="color:{}">{}</strong>', colours.get(email.status, "#333"), email.get_status_display()
        )

    @admin.display(description="Attachments")
    def attachment_names(self, email):
        return ", ".join(attachment["filename"] for attachment in email.attachments) or "None"

    @admin.display(description="HTML version")
    def html_preview(self, email):
        if not email.body_html:
            return "None"
        # A sandboxed frame: the message's HTML cannot run scripts or touch the admin page.
        return format_html(
            '<iframe sandbox="" title="The HTML version as sent" srcdoc="{}" style="width:100%;height:600px;border:1px solid #ccc"></iframe>',
            email.body_html,
        )

    @admin.action(description="Resend the selected failed emails")
    def resend(self, request, queryset):
        count = services.email_resend(emails=list(queryset))
        skipped = queryset.count() - count
        self.message_user(request, f"{count} email(s) queued again.")
        if skipped:
            self.message_user(request, f"{skipped} were not failed and were left alone.", messages.WARNING)


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
