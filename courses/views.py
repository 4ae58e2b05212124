from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from booking.selectors import session_list_upcoming

from . import selectors
from .filters import CourseFilter
from .models import Course, Sector

COURSES_PER_PAGE = 9


@require_GET
def home(request):
    return render(
        request,
        "courses/home.html",
        {
            "sectors": selectors.sector_list(),
            "featured_courses": selectors.course_list(featured=True)[:6],
            "testimonials": selectors.testimonial_list()[:3],
        },
    )


@require_GET
def sector_list(request):
    return render(request, "courses/sector_list.html", {"sectors": selectors.sector_list()})


@require_GET
def sector_detail(request, slug):
    try:
        sector = selectors.sector_detail(slug=slug)
    except Sector.DoesNotExist:
        raise Http404("No such sector") from None
    return render(request, "courses/sector_detail.html", {"sector": sector})


@require_GET
def course_list(request):
    course_filter = CourseFilter(request.GET, queryset=selectors.course_list())
    page = Paginator(course_filter.qs, COURSES_PER_PAGE).get_page(request.GET.get("page"))
    # Keep the filters in the pagination links.
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "courses/course_list.html",
        {
            "filter": course_filter,
            "page": page,
            "querystring": query.urlencode(),
            "filtered": course_filter.is_valid() and any(course_filter.form.cleaned_data.values()),
        },
    )


@require_GET
def course_detail(request, slug):
    try:
        course = selectors.course_detail(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course") from None
    sessions = session_list_upcoming(course=course.slug)
    return render(request, "courses/course_detail.html", {"course": course, "sessions": sessions})
