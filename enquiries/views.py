"""The public lead forms (in-house enquiry, "Let's talk" callback, newsletter sign-up), their
thank-you pages, the newsletter's confirm and unsubscribe links, and the privacy notice and
accessibility statement.

Views check for spam, validate with the forms and hand every write to enquiries/services.py.

Tracking: each submission passes the visit's first touch (landing page, UTM parameters,
external referrer) to the service as `tracking=`. enquiries/attribution.py works it out from the
signed `src` token that the site's links and forms carry, without cookies or the session.

Thank-you pages read the new lead from the session, so no lead is ever shown at a URL that
could be guessed or shared.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView

from core import business_hours, spam
from courses.models import Course
from courses.selectors import programme_list, sector_list

from . import links, services
from .attribution import tracking_for
from .forms import CallbackForm, EnquiryForm, NewsletterForm
from .models import Lead, LeadType, SubscriberStatus

THANKS_KEY = "enquiries.thanks.{}"
NEWSLETTER_EMAIL_KEY = "enquiries.newsletter_email"


def _working_time_words(hours):
    opens, closes = business_hours.business_hours()
    day = (closes.hour * 60 + closes.minute - opens.hour * 60 - opens.minute) / 60
    if hours == day:
        return "one working day"
    return f"{hours:g} working hour{'' if hours == 1 else 's'}"


def _published_course(slug):
    return Course.objects.filter(is_published=True, slug=slug).first() if slug else None


def _published_programme(pk):
    pk = pk or ""
    if not pk.isdigit() or len(pk) > 9:  # not an id the database could hold: no programme
        return None
    return programme_list().filter(pk=pk, sector__is_active=True).first()


class LeadFormView(FormView):
    """Show a lead form; on POST check for spam, validate, then call `submit` (the service) once."""

    rate_limit_scope = "leads"

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        try:
            form.check_spam()
            if not form.is_valid():
                return self.form_invalid(form)
            # Only complete submissions count towards the limit: correcting a mistake costs nothing.
            spam.check_rate_limit(spam.client_address(request), scope=self.rate_limit_scope)
        except spam.Rejected as rejection:
            return self.form_invalid(form, rejection=rejection)
        try:
            return self.submit(form)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(self.error_field(form, field), errors)
            return self.form_invalid(form)

    def error_field(self, form, field):
        return field if field in form.fields else None

    def get_context_data(self, **kwargs):
        return super().get_context_data(privacy_notice_version=settings.PRIVACY_NOTICE_VERSION, **kwargs)

    def form_invalid(self, form, rejection=None):
        form.renew_spam_fields()
        context = self.get_context_data(form=form, rejection=rejection)
        status = 429 if rejection is not None and rejection.code == "rate_limited" else 400
        return self.render_to_response(context, status=status)

    def submit(self, form):
        raise NotImplementedError

    def thank(self, lead, url_name):
        self.request.session[THANKS_KEY.format(lead.lead_type)] = lead.pk
        return redirect(url_name)


class EnquiryView(LeadFormView):
    template_name = "enquiries/enquiry_form.html"
    form_class = EnquiryForm

    def get_initial(self):
        initial = super().get_initial()
        course = _published_course(self.request.GET.get("course"))
        if course:
            initial["courses"] = [course.pk]
        sector = sector_list().filter(slug=self.request.GET.get("sector") or None).first()
        if sector:
            initial["sector"] = sector.pk
        # "Ask about this programme" on a sector page: its courses ticked and its name in the message.
        programme = _published_programme(self.request.GET.get("programme"))
        if programme:
            initial["courses"] = [line.course_id for line in programme.published_lines]
            initial["sector"] = programme.sector_id
            initial["message"] = programme.enquiry_message()
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(reply_within=_working_time_words(settings.ENQUIRY_SLA_WORKING_HOURS), **kwargs)

    def submit(self, form):
        lead = services.enquiry_submit(
            data=form.lead_data(), courses=form.cleaned_data["courses"], tracking=tracking_for(self.request)
        )
        return self.thank(lead, "enquiries:enquiry_thanks")


class CallbackView(LeadFormView):
    template_name = "enquiries/callback_form.html"
    form_class = CallbackForm

    def get_initial(self):
        initial = super().get_initial()
        course = _published_course(self.request.GET.get("course"))
        if course:
            initial["topic"] = course.title
        return initial

    def error_field(self, form, field):
        return "slot" if field in ("callback_date", "callback_period") else super().error_field(form, field)

    def submit(self, form):
        lead = services.callback_submit(data=form.lead_data(), tracking=tracking_for(self.request))
        return self.thank(lead, "enquiries:callback_thanks")


class ThanksView(TemplateView):
    """What happens next, and when, for the lead this browser has just sent."""

    lead_type = None
    form_url_name = None

    def get(self, request, *args, **kwargs):
        pk = request.session.get(THANKS_KEY.format(self.lead_type))
        lead = Lead.objects.filter(pk=pk, lead_type=self.lead_type).first() if pk else None
        if lead is None:
            return redirect(self.form_url_name)
        promise = business_hours.thank_you_promise(lead.due_at, timezone.now()) if lead.due_at else ""
        return self.render_to_response(self.get_context_data(lead=lead, promise=promise))


class NewsletterView(LeadFormView):
    template_name = "enquiries/newsletter_form.html"
    form_class = NewsletterForm
    rate_limit_scope = "newsletter"

    def post(self, request, *args, **kwargs):
        if request.POST.get("from_footer"):
            # The footer's short form: carry the address over to the full form, where consent is
            # asked with the privacy notice beside it. Nothing is stored yet.
            form = self.form_class(initial={"email": request.POST.get("email", "")[:254]})
            return self.render_to_response(self.get_context_data(form=form, from_footer=True))
        return super().post(request, *args, **kwargs)

    def submit(self, form):
        data = form.cleaned_data
        services.newsletter_subscribe(
            email=data["email"], name=data["name"], sector=data["sector"], tracking=tracking_for(self.request)
        )
        self.request.session[NEWSLETTER_EMAIL_KEY] = data["email"]
        return redirect("enquiries:newsletter_sent")


def newsletter_sent(request):
    email = request.session.get(NEWSLETTER_EMAIL_KEY)
    if not email:
        return redirect("enquiries:newsletter")
    # The same page whether the address was new, pending or already subscribed: it tells nobody
    # else whether an address is on the list.
    return render(request, "enquiries/newsletter_sent.html", {"email": email})


def _invalid_link(request):
    return render(request, "enquiries/link_invalid.html", status=404)


class NewsletterConfirmView(View):
    """GET shows a button; only the POST confirms. Mail scanners fetch links in emails, and a
    confirmation they trigger would not be the person's own opt-in."""

    def dispatch(self, request, token):
        self.subscriber = links.subscriber_from_confirm_token(token)
        if self.subscriber is None:
            return _invalid_link(request)
        return super().dispatch(request, token)

    def get(self, request, token):
        confirmed = self.subscriber.status == SubscriberStatus.CONFIRMED
        context = {
            "subscriber": self.subscriber,
            "confirmed": confirmed,
            "unconfirmed_days": settings.NEWSLETTER_UNCONFIRMED_DAYS,
        }
        return render(request, "enquiries/newsletter_confirm.html", context)

    def post(self, request, token):
        services.newsletter_confirm(subscriber=self.subscriber)
        return redirect(request.path)


@method_decorator(csrf_exempt, name="dispatch")
class NewsletterUnsubscribeView(View):
    """One-click unsubscribe (RFC 8058): mail clients POST "List-Unsubscribe=One-Click" to this
    URL with no CSRF token. The signed token in the URL is the authority, so CSRF protection adds
    nothing here; GET only shows the button, so a link scanner unsubscribes nobody."""

    def dispatch(self, request, token):
        self.subscriber = links.subscriber_from_unsubscribe_token(token)
        if self.subscriber is None:
            return _invalid_link(request)
        return super().dispatch(request, token)

    def get(self, request, token):
        done = self.subscriber.status == SubscriberStatus.UNSUBSCRIBED
        return render(request, "enquiries/newsletter_unsubscribe.html", {"subscriber": self.subscriber, "done": done})

    def post(self, request, token):
        subscriber = services.newsletter_unsubscribe(subscriber=self.subscriber)
        return render(request, "enquiries/newsletter_unsubscribe.html", {"subscriber": subscriber, "done": True})


class PrivacyView(TemplateView):
    template_name = "enquiries/privacy.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            version=settings.PRIVACY_NOTICE_VERSION,
            retention_months=settings.LEAD_RETENTION_MONTHS,
            unconfirmed_days=settings.NEWSLETTER_UNCONFIRMED_DAYS,
            **kwargs,
        )


class AccessibilityView(TemplateView):
    template_name = "enquiries/accessibility.html"


enquiry = EnquiryView.as_view()
enquiry_thanks = ThanksView.as_view(
    template_name="enquiries/enquiry_thanks.html", lead_type=LeadType.ENQUIRY, form_url_name="enquiries:enquiry"
)
callback = CallbackView.as_view()
callback_thanks = ThanksView.as_view(
    template_name="enquiries/callback_thanks.html", lead_type=LeadType.CALLBACK, form_url_name="enquiries:callback"
)
newsletter = NewsletterView.as_view()
newsletter_confirm = NewsletterConfirmView.as_view()
newsletter_unsubscribe = NewsletterUnsubscribeView.as_view()
privacy = PrivacyView.as_view()
accessibility = AccessibilityView.as_view()
