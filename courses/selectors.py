"""Reads for the catalogue. Each returns a QuerySet whose related rows are fetched up front,
so a page costs the same number of queries however large the catalogue grows."""

from django.db.models import Prefetch, Q

from .models import Course, Delivery, Programme, ProgrammeCourse, Sector, Testimonial

DELIVERY_FIELDS = {
    Delivery.OPEN: "delivery_open",
    Delivery.IN_HOUSE: "delivery_in_house",
    Delivery.VIRTUAL: "delivery_virtual",
}


def sector_list():
    return Sector.objects.filter(is_active=True)


def testimonial_list():
    return Testimonial.objects.filter(is_published=True).select_related("course", "sector")


def course_list(*, sector=None, delivery=None, search=None, featured=None):
    """Published courses, filtered. `sector` is a slug, `delivery` a Delivery value."""
    courses = Course.objects.filter(is_published=True).prefetch_related(Prefetch("sectors", queryset=sector_list()))
    if sector:
        courses = courses.filter(sectors__slug=sector, sectors__is_active=True)
    if delivery:
        courses = courses.filter(**{DELIVERY_FIELDS[Delivery(delivery)]: True})
    if featured is not None:
        courses = courses.filter(is_featured=featured)
    for word in (search or "").split():
        courses = courses.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(description__icontains=word)
            | Q(audience__icontains=word)
            | Q(learning_outcomes__icontains=word)
        )
    return courses.distinct()


def programme_list():
    """Published programmes, each with its lines of published courses in order (`published_lines`)."""
    lines = ProgrammeCourse.objects.filter(course__is_published=True).select_related("course")
    return (
        Programme.objects.filter(is_published=True)
        .select_related("sector")
        .prefetch_related(Prefetch("lines", queryset=lines, to_attr="published_lines"))
    )


def sector_detail(*, slug):
    """The sector with its published courses, programmes and testimonials prefetched."""
    return (
        sector_list()
        .prefetch_related(
            Prefetch("courses", queryset=course_list(), to_attr="published_courses"),
            Prefetch("programmes", queryset=programme_list(), to_attr="published_programmes"),
            Prefetch("testimonials", queryset=testimonial_list(), to_attr="published_testimonials"),
        )
        .get(slug=slug)
    )


def course_detail_list():
    """Published courses with everything the detail page and API show."""
    return Course.objects.filter(is_published=True).prefetch_related(
        Prefetch("sectors", queryset=sector_list()),
        Prefetch("related_courses", queryset=Course.objects.filter(is_published=True)),
        Prefetch("testimonials", queryset=testimonial_list(), to_attr="published_testimonials"),
    )


def course_detail(*, slug):
    return course_detail_list().get(slug=slug)
