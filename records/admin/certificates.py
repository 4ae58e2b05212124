"""The office's certificates: read-only records (a certificate reads as issued, for as long as it
is valid), found by number however it is typed, by name, email or organisation; filtered by
course and by valid, expiring or expired; each with its PDF as issued and its public check page.

Who may do what: those who may view certificates (Sales, by records/migrations/0003) see them;
the staff who may resend emails ("Can resend emails") may email a certificate to its holder
again. Nobody adds, edits or deletes one here.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin import RecordAdmin
from core.templatetags.uk import uk_date, uk_datetime
from outbox.models import OutboundEmail
from outbox.services import email_queue_many

from .. import emails
from ..models import Certificate
from ..pdf import certificate_pdf
from ..services import Status, certificate_status, normalise_number
from ..services.certificates import certificates_with_status

STATUS_LABELS = {Status.VALID: "Valid", Status.EXPIRING: "Valid, expiring soon", Status.EXPIRED: "Expired"}


def _expiring_days():
    return settings.TRAINING_RECORD_EXPIRING_DAYS


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (Status.VALID, "Valid (expiring soon included)"),
            (Status.EXPIRING, f"Expiring within {_expiring_days()} days"),
            (Status.EXPIRED, "Expired"),
        ]

    def queryset(self, request, queryset):
        return certificates_with_status(queryset, self.value(), expiring_days=_expiring_days())


def resend_email(certificate, *, now=None):
    """The certificate_issued email again, under a key of its own: one per certificate per
    minute, so a double click sends one."""
    stamp = f"{timezone.localtime(now):%Y%m%dT%H%M}"
    return emails.certificate_email(certificate, unique_key=f"certificate_issued:{certificate.number}:resend:{stamp}")


@admin.register(Certificate)
class CertificateAdmin(RecordAdmin):
    list_display = ["number", "holder_name", "course_title", "completed", "expires", "status", "organisation"]
    list_filter = [StatusFilter, ("course", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "holder_name", "holder_email", "organisation"]
    search_help_text = (
        "Search by certificate number (as typed: lower case, spaces or O for 0 are fine), name, email or organisation."
    )
    ordering = ["-completed_on", "holder_name"]
    date_hierarchy = "completed_on"
    actions = ["email_again"]
    fieldsets = [
        (None, {"fields": ["number", "status", "pdf_link", "verify_link"]}),
        ("Holder", {"fields": ["holder_name", "holder_email", "organisation", "ods_code", "booking_link"]}),
        (
            "Course, as printed",
            {"fields": ["course_title", "accreditation", "cpd_hours", "completed", "expires", "session_link"]},
        ),
        ("Issued", {"fields": ["issued", "emails_sent"]}),
    ]
    readonly_fields = [
        "number",
        "status",
        "pdf_link",
        "verify_link",
        "holder_name",
        "holder_email",
        "organisation",
        "ods_code",
        "booking_link",
        "course_title",
        "accreditation",
        "cpd_hours",
        "completed",
        "expires",
        "session_link",
        "issued",
        "emails_sent",
    ]

    def get_queryset(self, request):
        # The kept PDFs stay in the database until one is asked for.
        return super().get_queryset(request).defer("pdf").select_related("delegate__booking", "session__course")

    def get_search_results(self, request, queryset, search_term):
        """The usual search, and the certificate whose number the term is, however typed."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = normalise_number(search_term)
        if number:
            found = found | queryset.filter(number=number)
        return found, may_have_duplicates

    # Who may do what ------------------------------------------------------------------------------

    def has_resend_permission(self, request):
        return request.user.has_perm("outbox.resend_outboundemail")

    # The PDF as issued ----------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="records_certificate_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        certificate = get_object_or_404(Certificate, pk=pk)
        response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{certificate.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response

    # Columns and fields ---------------------------------------------------------------------------

    @admin.display(description="Completed on", ordering="completed_on")
    def completed(self, certificate):
        return uk_date(certificate.completed_on)

    @admin.display(description="Valid until", ordering="expires_on")
    def expires(self, certificate):
        return uk_date(certificate.expires_on) if certificate.expires_on else "Does not expire"

    @admin.display(description="Status")
    def status(self, certificate):
        return STATUS_LABELS[certificate_status(certificate, expiring_days=_expiring_days())]

    @admin.display(description="PDF")
    def pdf_link(self, certificate):
        url = reverse("admin:records_certificate_pdf", args=[certificate.pk])
        return format_html('<a href="{}">{}</a>', url, certificate.filename)

    @admin.display(description="Public check page")
    def verify_link(self, certificate):
        url = reverse("records:verify") + "?" + urlencode({"number": certificate.number})
        return format_html(
            '<a href="{}">Check {} as the public sees it</a> (the name, course and dates only)',
            url,
            certificate.number,
        )

    @admin.display(description="Booking")
    def booking_link(self, certificate):
        delegate = certificate.delegate
        if delegate is None:
            return "-"
        url = reverse("admin:booking_booking_change", args=[delegate.booking_id])
        return format_html('<a href="{}">{}</a>', url, delegate.booking.reference)

    @admin.display(description="Session")
    def session_link(self, certificate):
        session = certificate.session
        if session is None:
            return "-"
        url = reverse("admin:booking_coursesession_change", args=[session.pk])
        return format_html('<a href="{}">{}</a>', url, session)

    @admin.display(description="Issued at")
    def issued(self, certificate):
        return uk_datetime(certificate.issued_at)

    @admin.display(description="Emails")
    def emails_sent(self, certificate):
        rows = list(
            OutboundEmail.objects.filter(unique_key__startswith=f"certificate_issued:{certificate.number}")
            .order_by("created_at", "pk")
            .only("pk", "status", "created_at", "recipients")
        )
        if not rows:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{} to {}</a>: {}',
            (
                (
                    reverse("admin:outbox_outboundemail_change", args=[row.pk]),
                    uk_datetime(row.created_at),
                    row.recipients,
                    row.get_status_display(),
                )
                for row in rows
            ),
        )

    # Actions --------------------------------------------------------------------------------------

    @admin.action(description="Email the certificate again", permissions=["resend"])
    def email_again(self, request, queryset):
        certificates = list(queryset.select_related("session__course", "session__venue", "delegate__booking"))
        now = timezone.now()
        queued = email_queue_many([resend_email(certificate, now=now) for certificate in certificates])
        if queued:
            self.message_user(
                request,
                f"Emailed again, with the PDF: {queued} certificate{'' if queued == 1 else 's'}. "
                "The emails are in the outbox.",
                messages.SUCCESS,
            )
        if queued < len(certificates):
            self.message_user(
                request,
                f"Not sent twice: {len(certificates) - queued} had already been emailed again in the last minute.",
                messages.WARNING,
            )
