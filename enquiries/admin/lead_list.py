"""The lead list's extras for the day's work: a search from "my open leads" looks through every
lead, a search in a narrower view says how many more leads match outside it, and a sales person
switches themselves out of the round robin (holiday) and back."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.main import ALL_VAR, IS_FACETS_VAR, ORDER_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import DateTimeField, ExpressionWrapper, F, OrderBy, Value
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from .. import services
from ..models import SalesPerson
from . import forms as admin_forms
from .filters import ALL, DEFAULT_FILTERS

EVERYTHING = {"owner": ALL, "state": ALL}
# Parameters that change how the list shows, not which leads are in it.
NOT_FILTERS = {SEARCH_VAR, ORDER_VAR, ALL_VAR, IS_FACETS_VAR}


def _unindexed(item):
    """The due-time order as an expression no index covers; any other order as it is."""
    if isinstance(item, OrderBy) and getattr(item.expression, "name", None) == "due_at":
        shifted = ExpressionWrapper(F("due_at") + Value(timedelta(0)), output_field=DateTimeField())
        return OrderBy(shifted, descending=item.descending, nulls_first=item.nulls_first, nulls_last=item.nulls_last)
    return item


class LeadChangeList(ChangeList):
    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(request, *args, **kwargs)
        if self.is_default_view:
            self.search_help_text = "Searches all leads, not only your open ones: name, organisation, email, phone or reference."  # fmt: skip

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        if not self.query:
            return ordering
        # With a search, PostgreSQL may walk the due-time index in list order hoping to meet the
        # matches early (190 ms at 500,000 leads, seconds when every match is closed). Sorting by
        # an expression no index covers makes it find the matches by the trigram indexes first.
        return [_unindexed(item) for item in ordering]

    @cached_property
    def filters_chosen(self):
        """The list's parameters that narrow it (not the search, the order or an "All")."""
        return {
            name: value
            for name, value in self.params.items()
            if name not in NOT_FILTERS and EVERYTHING.get(name) != value
        }

    @property
    def is_default_view(self):
        return self.filters_chosen == DEFAULT_FILTERS

    def search_params(self):
        """The hidden fields the search form sends with the search term. From "my open leads" a
        search looks through every lead (the filters then show "All"), since the lead a caller
        asks about is often someone else's or closed."""
        params = {name: value for name, value in self.params.items() if name != SEARCH_VAR}
        if self.is_default_view:
            params.update(EVERYTHING)
        return sorted(params.items())

    @cached_property
    def outside_matches(self):
        """How many leads match the search but are hidden by the view's filters."""
        if not self.query or not self.filters_chosen:
            return 0
        everywhere, _ = self.model_admin.get_search_results(self.request, self.root_queryset, self.query)
        return max(everywhere.count() - self.result_count, 0)

    def everywhere_url(self):
        return "?" + urlencode({SEARCH_VAR: self.query, **EVERYTHING})


class LeadListMixin:
    """For LeadAdmin: the changelist above, and the sales person's round-robin switch."""

    def get_changelist(self, request, **kwargs):
        return LeadChangeList

    def round_robin_state(self, request):
        """For the list's switch: None unless the user can be given leads in the round robin."""
        if not settings.LEADS_ROUND_ROBIN or not services.sales_staff().filter(pk=request.user.pk).exists():
            return None
        taking = SalesPerson.objects.filter(user=request.user).values_list("takes_new_leads", flat=True).first()
        return {"taking": taking is not False}  # no row yet: they get one, taking leads, with their next lead

    def get_list_urls(self):
        view = self.admin_site.admin_view(self.taking_leads_view)
        return [path("taking-new-leads/", view, name="enquiries_lead_taking_leads")]

    def taking_leads_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not services.sales_staff().filter(pk=request.user.pk).exists():
            raise PermissionDenied
        form = admin_forms.TakingLeadsForm(request.POST)
        if form.is_valid():
            taking = form.cleaned_data["taking"]
            services.salesperson_set_taking_leads(user=request.user, taking=taking, actor=request.user)
            if taking:
                self.message_user(request, "You are taking new leads again.", messages.SUCCESS)
            else:
                self.message_user(
                    request,
                    "You are not taking new leads: the round robin gives them to the rest of the team until you resume.",
                    messages.SUCCESS,
                )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:enquiries_lead_changelist")
        return HttpResponseRedirect(back)
