from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.template.response import TemplateResponse
from django.urls import reverse

# A bulk action's page lists at most this many of the chosen objects, then "and N more".
SHOWN_OBJECTS = 20
# Ticked rows are posted back one field each; Django refuses a request with more than
# DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields. "Select all N" posts the list's filter instead.
MAX_POSTED_IDS = 500


class RecordAdmin(admin.ModelAdmin):
    """A record kept as it was written (an email as sent, a bulk change, a personal-data
    request): read in the admin, never added, edited or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """A record shown beside its parent (delegates, history, timeline): read, never edited here.
    Changes go through the services, which keep the rules and the history."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def selected_across(request):
    """Whether a changelist action was posted with "Select all N" (the whole filtered list)."""
    return request.POST.get("select_across") == "1"


def filter_summary(modeladmin, request):
    """The list's filters and search in words ("owner: Ben, open or closed: Open"), as the
    changelist built from this request's query string shows them."""
    try:
        changelist = modeladmin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        return ""
    parts = []
    for spec in changelist.filter_specs:
        # Every admin filter offers "All" first: anything else chosen is a filter in force.
        chosen = [choice["display"] for choice in list(spec.choices(changelist))[1:] if choice["selected"]]
        parts += [f"{spec.title}: {display}" for display in chosen]
    if changelist.query:
        parts.append(f"search: “{changelist.query}”")
    return ", ".join(str(part) for part in parts)


def selection_context(modeladmin, request, objects):
    """What a bulk action's page shows of the selection and posts back to the changelist.

    With "Select all N" it posts `select_across=1` and one placeholder row to the list's own URL
    (filters, search and ordering in its query string), so Django rebuilds the same queryset:
    a few fields however many objects there are."""
    across = selected_across(request)
    count = len(objects) if isinstance(objects, list) else objects.count()
    first = list(objects[:SHOWN_OBJECTS])
    ids = [] if across else [obj.pk for obj in objects]
    return {
        "objects": first,
        "objects_count": count,
        "objects_more": max(count - len(first), 0),
        "select_across": across,
        "filter_summary": filter_summary(modeladmin, request) if across else "",
        "posted_ids": ids if len(ids) <= MAX_POSTED_IDS else [],
        "too_many_ticked": len(ids) > MAX_POSTED_IDS,
        "placeholder_id": first[0].pk if first else "",
        "form_url": request.get_full_path(),
    }


def action_form_page(
    modeladmin,
    request,
    objects,
    *,
    form_class,
    title,
    intro,
    button,
    action,
    template="admin/action_form.html",
    preview=None,
):
    """The intermediate page of a bulk action that needs input (a reason, an owner). Returns the
    cleaned data once submitted and valid, or the page to show (again, with errors).

    `objects` is the action's queryset (or a list). The page names at most SHOWN_OBJECTS of them
    and posts back either their ids or, after "Select all N", the list's filter.

    `preview(form)` gives extra context showing what the action will do with what was typed;
    the page then has a "Preview" button beside the confirming one."""
    if request.POST.get("post") == "yes":
        form = form_class(request.POST)
        if preview and request.POST.get("preview"):
            form.is_valid()  # show the preview with what was typed, and any errors
        elif form.is_valid():
            return form.cleaned_data
    else:
        form = form_class()
    opts = modeladmin.opts
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "button": button,
        "action": action,
        "form": form,
        "opts": opts,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        # Back to the list as it was filtered.
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        + (f"?{request.GET.urlencode()}" if request.GET else ""),
        **selection_context(modeladmin, request, objects),
        **(preview(form) if preview else {}),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, template, context)
