"""One set of catalogue filters for the course list page and the API.

The FilterSet validates the query string; the selector does the filtering.
"""

import django_filters

from . import selectors
from .models import Delivery


class CourseFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(label="Search courses", max_length=100)
    sector = django_filters.ChoiceFilter(field_name="sectors__slug", label="Sector", empty_label="All sectors")
    delivery = django_filters.ChoiceFilter(label="Delivery", choices=Delivery.choices, empty_label="Any format")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["sector"].extra["choices"] = list(selectors.sector_list().values_list("slug", "name"))

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return selectors.course_list(
            sector=data.get("sector") or None,
            delivery=data.get("delivery") or None,
            search=data.get("search") or None,
        )
