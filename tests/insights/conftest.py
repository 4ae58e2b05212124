from datetime import timedelta

import pytest
from django.utils import timezone

from insights import services
from insights.models import Article, Category


@pytest.fixture
def blog(db):
    return Category.objects.create(name="Blog", slug="blog")


@pytest.fixture
def news(db):
    return Category.objects.create(name="News", slug="news")


@pytest.fixture
def make_article(blog):
    def make(*, title="Does de-escalation training work?", slug=None, category=None, days_ago=1, **fields):
        published_at = None if days_ago is None else timezone.now() - timedelta(days=days_ago)
        article = Article(
            title=title,
            slug=slug or title.lower().replace(" ", "-").strip("?"),
            category=category or blog,
            author_name=fields.pop("author_name", "Sarah Okafor"),
            published_at=published_at,
            is_published=fields.pop("is_published", True),
            summary=fields.pop("summary", "One course is not enough."),
            body=fields.pop("body", "<p>Training works best as a programme.</p>"),
            **fields,
        )
        return services.article_save(article=article)

    return make
