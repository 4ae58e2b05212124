"""The attendee's feedback survey, from the private link in their feedback_request email
(records/links.py feedback_token), and its thank-you page.

Given once: afterwards the link shows the thank-you page. Before the course is completed, or
for someone marked absent, the page says why there is nothing to give.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.views import private_page

from .. import links
from ..forms_feedback import FeedbackForm
from ..services.feedback import FeedbackAlreadyGiven, feedback_refusal, feedback_submit

# The session key that says the thank-you page follows a submission just made.
JUST_GIVEN_KEY = "feedback-given-{}"


def _delegate(token):
    delegate = links.delegate_from_feedback_token(token)
    if delegate is None:
        raise Http404("This link is not valid.")
    return delegate


def _page(request, token, delegate, form, *, refusal=None, status=200):
    return render(
        request,
        "records/feedback.html",
        {
            "delegate": delegate,
            "session": delegate.booking.session,
            "course": delegate.booking.session.course,
            "token": token,
            "form": form,
            "refusal": refusal,
            "error_summary": form.error_summary() if form is not None and form.is_bound else [],
        },
        status=status,
    )


@private_page
@require_http_methods(["GET", "POST"])
def give(request, token):
    delegate = _delegate(token)
    if hasattr(delegate, "feedback"):
        return redirect("records:feedback_thanks", token=token)
    refusal = feedback_refusal(delegate)
    if refusal:
        return _page(request, token, delegate, None, refusal=refusal)
    if request.method == "GET":
        return _page(request, token, delegate, FeedbackForm(delegate=delegate))
    form = FeedbackForm(request.POST, delegate=delegate)
    if not form.is_valid():
        return _page(request, token, delegate, form, status=400)
    try:
        feedback_submit(delegate=delegate, **form.cleaned_data)
    except FeedbackAlreadyGiven:
        return redirect("records:feedback_thanks", token=token)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            # Refused as a whole (the course was cancelled meanwhile): the page says why.
            delegate = _delegate(token)
            refusal = feedback_refusal(delegate) or " ".join(exc.messages)
            return _page(request, token, delegate, None, refusal=refusal, status=409)
        for field, messages_ in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
        return _page(request, token, delegate, form, status=400)
    request.session[JUST_GIVEN_KEY.format(delegate.pk)] = True
    return redirect("records:feedback_thanks", token=token)


@private_page
@require_http_methods(["GET"])
def thanks(request, token):
    delegate = _delegate(token)
    if not hasattr(delegate, "feedback"):
        return redirect("records:feedback", token=token)
    return render(
        request,
        "records/feedback_thanks.html",
        {
            "delegate": delegate,
            "course": delegate.booking.session.course,
            "feedback": delegate.feedback,
            "just_given": request.session.pop(JUST_GIVEN_KEY.format(delegate.pk), False),
        },
    )
