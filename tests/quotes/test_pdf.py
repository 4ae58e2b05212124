"""The quote's PDF, read back with pypdf: what the client is sent and downloads."""

import io
import re

import pytest
from pypdf import PdfReader

from outbox.registry import document_content
from quotes import services
from quotes.documents import quote_pdf
from tests.quotes.conftest import DISCOUNT, LINES, draft

pytestmark = pytest.mark.django_db


def text_of(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"[ \t]+", " ", "\n".join(page.extract_text() for page in reader.pages)), reader


def test_the_pdf_shows_number_version_lines_totals_and_validity(lead, amy, trainer, settings):
    quote = services.quote_send(quote=draft(lead, amy, trainer=trainer, lines=[*LINES, DISCOUNT]), user=amy)
    text, reader = text_of(document_content(f"quote:{quote.pk}"))  # as the outbox attaches it
    assert "Quote Q-00001" in text and re.search(r"Version\s+1", text)
    for line in ("De-escalation Skills: 3 days at your site", "Trainer's travel and accommodation",
                 "Returning client discount"):  # fmt: skip
        assert line in text
    assert "£950.00" in text and "£2,850.00" in text and "-£100.00" in text
    assert re.search(r"Total excluding VAT\s*£2,930.00", text)
    assert re.search(r"VAT at 20%\s*£586.00", text)
    assert re.search(r"Total including VAT\s*£3,516.00", text)
    assert f"Valid until {quote.valid_until_text}" in text or quote.valid_until_text in text
    assert "Ipswich Hospital" in text and "IP4 5PD" in text and "Helen Ward" in text
    assert settings.PROVIDER["vat_number"] in text and settings.PROVIDER["name"] in text
    # Tagged PDF/UA with a title and a language, as the shared layout makes it.
    assert reader.metadata.title.startswith("Quote Q-00001 version 1")
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_a_new_versions_pdf_says_which_version(lead, amy):
    first = services.quote_send(quote=draft(lead, amy), user=amy)
    second = services.quote_send(quote=services.quote_new_version(quote=first, user=amy), user=amy)
    text, _ = text_of(quote_pdf(second))
    assert "Quote Q-00001" in text and re.search(r"Version\s+2", text)


def test_a_drafts_pdf_says_it_is_a_draft(quote):
    text, _ = text_of(quote_pdf(quote))
    assert "Draft quote (not sent)" in text and "Not yet sent" in text
