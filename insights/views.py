"""Public insights pages: all articles, one category's, and an article."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import selectors
from .models import Category

PER_PAGE = 10


def _list_page(request, *, category=None):
    paginator = Paginator(selectors.article_list_published(category=category), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "category": category, "categories": Category.objects.all()}
    return render(request, "insights/article_list.html", context)


@require_GET
def article_list(request):
    return _list_page(request)


@require_GET
def category_detail(request, category_slug):
    return _list_page(request, category=get_object_or_404(Category, slug=category_slug))


@require_GET
def article_detail(request, category_slug, slug):
    article = (
        selectors.article_list_published()
        .filter(category__slug=category_slug, slug=slug)
        .prefetch_related("related_courses", "related_sectors")
        .first()
    )
    if article is None:
        raise Http404("No such article.")
    courses = [course for course in article.related_courses.all() if course.is_published]
    sectors = [sector for sector in article.related_sectors.all() if sector.is_active]
    context = {"article": article, "courses": courses, "sectors": sectors}
    return render(request, "insights/article_detail.html", context)
