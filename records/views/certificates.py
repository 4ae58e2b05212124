"""The public certificate check, and the holder's PDF download.

Anyone may check a certificate number (an employer, a regulator, an agency): the page says
valid, expired or not found, and shows only what is printed on the certificate for a valid or
expired one: the holder's name, the course and its dates. Never the organisation or the email.

Checks are counted per client address (CERTIFICATE_VERIFY_RATE_LIMIT_PER_HOUR), so numbers
cannot be tried in bulk. Only real lookups count: a number that cannot be a certificate number
(wrong length, letters not used) gets a field error, looks nothing up and costs nothing, so a
typo never locks anyone out, and it tells a guesser nothing either.
"""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import spam
from core.forms import ErrorSummaryMixin
from core.views import private_page

from .. import links
from ..models import Certificate
from ..pdf import certificate_day, certificate_pdf
from ..services import Status, certificate_status, normalise_number

EXAMPLE = "7K3M-9QXP-2H4D"
FORMAT_MESSAGE = f"Enter a certificate number of 12 letters and numbers, like {EXAMPLE}"


class VerifyForm(ErrorSummaryMixin, forms.Form):
    number = forms.CharField(
        label="Certificate number",
        max_length=40,
        help_text=f"12 letters and numbers, as printed on the certificate, for example {EXAMPLE}",
        error_messages={"required": "Enter the certificate number", "max_length": FORMAT_MESSAGE},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "text",
                "spellcheck": "false",
                "autocapitalize": "characters",
                "class": "font-monospace",
            }
        ),
    )

    def clean_number(self):
        number = normalise_number(self.cleaned_data["number"])
        if number is None:
            raise ValidationError(FORMAT_MESSAGE)
        return number


def _result(certificate):
    """What the page may show of a certificate: what is printed on it, no more."""
    status = certificate_status(certificate)
    result = {
        "status": status,
        "name": certificate.holder_name,
        "course": certificate.course_title,
        "completed_on": certificate_day(certificate.completed_on),
        "valid_until": certificate_day(certificate.expires_on),
    }
    if status == Status.EXPIRED:
        # expires_on is the last day it is valid; it was expired from the next day.
        result["expired_on"] = certificate_day(certificate.expires_on + timedelta(days=1))
    return result


@never_cache
@require_GET
def verify(request):
    """GET, so a checked number is a link people can share. The empty form is a public page;
    an answer (which names a person) is neither cached nor indexed."""
    if "number" not in request.GET:
        return render(request, "records/verify.html", {"form": VerifyForm(), "answered": False})
    form = VerifyForm(request.GET)
    context = {"form": form, "answered": True}
    if not form.is_valid():
        return _answer(request, context, status=400)
    number = form.cleaned_data["number"]
    # Shown in its printed form, however it was typed.
    context["form"] = VerifyForm({"number": number})
    context["number"] = number
    try:
        spam.check_rate_limit(
            spam.client_address(request), scope="certificates", limit=settings.CERTIFICATE_VERIFY_RATE_LIMIT_PER_HOUR
        )
    except spam.Rejected as exc:
        response = _answer(request, {**context, "rate_limited": True}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    certificate = (
        Certificate.objects.filter(number=number)
        .only("number", "holder_name", "course_title", "completed_on", "expires_on")
        .first()
    )
    context["result"] = _result(certificate) if certificate else {"status": "not_found"}
    return _answer(request, context, status=200)


def _answer(request, context, *, status):
    response = render(request, "records/verify.html", context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@private_page
@require_GET
def pdf(request, token):
    """The holder's copy, from the link in their certificate email: the PDF as issued. A bad or
    tampered token is a 404."""
    certificate = links.certificate_from_token(token)
    if certificate is None:
        raise Http404("This link is not valid.")
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{certificate.filename}"'
    return response
