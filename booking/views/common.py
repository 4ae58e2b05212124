"""What the booking pages and the manage pages share."""

from functools import wraps

from django.views.decorators.cache import never_cache

from .. import services


def private_page(view):
    """Pages reached by a manage link: never stored by a browser or proxy, never indexed. The
    site-wide Referrer-Policy (same-origin) keeps the token in the URL from other sites."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = never_cache(view)(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def delegate_rows(formset):
    return [
        services.DelegateData(
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            job_role=form.cleaned_data.get("job_role", ""),
            adjustments=form.cleaned_data.get("adjustments", ""),
        )
        for form in formset.forms
        if form.cleaned_data
    ]
