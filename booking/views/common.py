"""What the booking pages and the manage pages share."""

from .. import services


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
