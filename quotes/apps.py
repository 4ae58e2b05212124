from django.apps import AppConfig


class QuotesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quotes"

    def ready(self):
        from outbox import registry

        from . import documents, emails  # noqa: F401  (registers the quote email kinds)

        registry.register_document("quote", documents.quote_pdf_for_key)
