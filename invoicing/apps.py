from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "invoicing"
    verbose_name = "Invoices and credit notes"

    def ready(self):
        from outbox import registry

        from . import emails  # noqa: F401  (registers the invoice email kinds)
        from .pdf import pdf_by_reference

        registry.register_document("invoice", pdf_by_reference)
