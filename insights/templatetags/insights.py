"""`{% related_articles course=course %}` or `{% related_articles sector=sector %}`: up to three
latest published articles about a course or sector, for their pages. Renders nothing if none."""

from django import template

from insights import selectors

register = template.Library()

RELATED_LIMIT = 3


@register.inclusion_tag("insights/_related_articles.html")
def related_articles(course=None, sector=None):
    if course is None and sector is None:
        return {"articles": []}
    articles = selectors.article_list_published(course=course, sector=sector)[:RELATED_LIMIT]
    return {"articles": list(articles)}
