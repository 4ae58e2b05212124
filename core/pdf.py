"""PDF documents (quotes, invoices, credit notes) from Django templates, with WeasyPrint.

Every document extends templates/pdf/_layout.html, so they share one layout with the provider's
details. WeasyPrint writes PDF/UA-1: a tagged PDF with a title, a language and a structure tree,
so screen readers read headings and tables as such. Fonts come from the system (DejaVu on
Debian); nothing is fetched over the network.
"""

from django.conf import settings
from django.template.loader import render_to_string


def _no_network(url, *args, **kwargs):
    # Documents are self-contained: a stray <img src="https://..."> must never leave the machine.
    raise ValueError(f"PDF documents do not load external resources: {url}")


def render_pdf(template_name, context):
    """The PDF bytes for the template (which sets <title> and <html lang>)."""
    import weasyprint  # imported here: it loads Pango, which only the workers and PDF views need

    html = render_to_string(template_name, {"provider": settings.PROVIDER, **context})
    document = weasyprint.HTML(string=html, url_fetcher=_no_network, base_url=str(settings.BASE_DIR))
    return document.write_pdf(pdf_variant="pdf/ua-1")
