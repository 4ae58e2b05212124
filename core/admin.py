from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.urls import reverse


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
        "objects": objects,
        "form": form,
        "opts": opts,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        **(preview(form) if preview else {}),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, template, context)
