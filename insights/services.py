"""Writes for insights. Article bodies are rich text from staff, shown as HTML to everyone, so
every save goes through `clean_body`: an allow-list, never a block-list."""

import nh3
from django.db import transaction

from .models import Article

ALLOWED_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "a", "strong", "em", "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def clean_body(html: str) -> str:
    """The body with only the allowed tags; scripts and styles go with their content, event
    handlers and style attributes are dropped, links keep only http, https and mailto hrefs and
    get rel="noopener noreferrer"."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


@transaction.atomic
def article_save(*, article: Article) -> Article:
    """Create or update an article (its fields already set), with its body sanitised."""
    article.body = clean_body(article.body)
    article.full_clean()
    article.save()
    return article
