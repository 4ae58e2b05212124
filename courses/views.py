"""The public catalogue pages. Anonymous visitors are answered from the page cache
(core/http_cache.py, invalidated by courses/cache.py): the views return TemplateResponses, so the
cache renders them itself, with a placeholder where the visitor's CSRF token goes."""

from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from booking.selectors import session_list_upcoming
from core.http_cache import cached_page, page_query

from . import selectors
from .filters import CourseFilter
from .models import Course, Sector

COURSES_PER_PAGE = 9
# The course list depends on these parameters only; utm_* and the like neither change it nor its key.
COURSE_FILTERS = tuple(CourseFilter.base_filters)


@require_safe
@cached_page
def home(request):
    return TemplateResponse(
        request,
        "courses/home.html",
        {
            "sectors": selectors.sector_list(),
            "featured_courses": selectors.course_list(featured=True)[:6],
            "testimonials": selectors.testimonial_list()[:3],
        },
    )


@require_safe
@cached_page
def sector_list(request):
    return TemplateResponse(request, "courses/sector_list.html", {"sectors": selectors.sector_list()})


@require_safe
@cached_page
def sector_detail(request, slug):
    try:
        sector = selectors.sector_detail(slug=slug)
    except Sector.DoesNotExist:
        raise Http404("No such sector") from None
    return TemplateResponse(request, "courses/sector_detail.html", {"sector": sector})


@require_safe
@cached_page(query=(*COURSE_FILTERS, "page"))
def course_list(request):
    course_filter = CourseFilter(request.GET, queryset=selectors.course_list())
    page = Paginator(course_filter.qs, COURSES_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "courses/course_list.html",
        {
            "filter": course_filter,
            "page": page,
            # The filters, kept in the pagination links.
            "querystring": page_query(request, COURSE_FILTERS),
            "filtered": course_filter.is_valid() and any(course_filter.form.cleaned_data.values()),
        },
    )


@require_safe
@cached_page
def course_detail(request, slug):
    try:
        course = selectors.course_detail(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course") from None
    sessions = session_list_upcoming(course=course.slug)
    return TemplateResponse(request, "courses/course_detail.html", {"course": course, "sessions": sessions})
