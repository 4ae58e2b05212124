from django.conf import settings

from core.templatetags.uk import booking_closes_text, vat_percent


def site(request):
    """The provider's contact details, for the header, footer and emails; and the wording that
    comes from settings ("VAT at 20%", "24 hours before the start")."""
    return {
        "provider": settings.PROVIDER,
        "site_url": settings.SITE_URL,
        "vat_percent": vat_percent(),
        "booking_closes_text": booking_closes_text(),
    }
