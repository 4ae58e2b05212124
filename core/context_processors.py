from django.conf import settings


def site(request):
    """The provider's contact details, for the header, footer and emails."""
    return {"provider": settings.PROVIDER, "site_url": settings.SITE_URL}
