from django.apps import AppConfig


class RecordsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "records"
    verbose_name = "Attendance, certificates and feedback"

    def ready(self):
        from outbox import registry

        from . import emails, reminder_emails  # noqa: F401  register the kinds of email
        from .pdf import pdf_by_reference

        registry.register_document("certificate", pdf_by_reference)
