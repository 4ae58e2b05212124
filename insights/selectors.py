"""Reads for insights: what the public may see is published and not dated in the future."""

from django.db.models import QuerySet
from django.utils import timezone

from .models import Article


def article_list_published(*, category=None, course=None, sector=None) -> QuerySet[Article]:
    """Published articles, newest first, optionally of one category or about a course or sector."""
    articles = Article.objects.filter(is_published=True, published_at__lte=timezone.now()).select_related("category")
    if category is not None:
        articles = articles.filter(category=category)
    if course is not None:
        articles = articles.filter(related_courses=course)
    if sector is not None:
        articles = articles.filter(related_sectors=sector)
    return articles.order_by("-published_at", "-pk")
