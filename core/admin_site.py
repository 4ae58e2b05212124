"""Staff sign-in to the admin: the admin site, its sign-in form with an optional two-factor code,
and the lockout after repeated failed sign-ins.

- Failed sign-ins are counted by django-axes per username and client address together (so an
  attacker can lock out only themselves, not a staff member everywhere), and per address alone at
  a higher limit (so one address cannot try a few passwords on every username). Wrong or missing
  codes count like wrong passwords.
- A staff user with a confirmed TOTP device (django-otp) must give its current code; so must every
  superuser when OTP_REQUIRED_FOR_SUPERUSERS is on. Everyone else signs in with a password, and the
  admin answers them as before.
- Sales staff land on their lead list after signing in (unless `next` asks for another page).
"""

import ipaddress
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django_otp import devices_for_user, user_has_device

from core.spam import client_address

SET_UP_COMMAND = "python manage.py add_totp_device"


def code_required(user):
    """Whether `user` must give a two-factor code to use the admin. Kept on the request's user: the
    admin asks several times a page."""
    if not hasattr(user, "_code_required"):
        user._code_required = (settings.OTP_REQUIRED_FOR_SUPERUSERS and user.is_superuser) or user_has_device(
            user, confirmed=True
        )
    return user._code_required


def is_verified(user):
    # Set by django_otp's OTPMiddleware: this session signed in with a code.
    check = getattr(user, "is_verified", None)
    return bool(check and check())


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, plus the code from an authenticator app for those who have one.

    One step, username, password and code together: staff without a device leave the code empty."""

    otp_token = forms.CharField(
        label="Authentication code",
        required=False,
        max_length=12,
        help_text="The 6-digit code from your authenticator app, if you sign in with one. Otherwise leave it empty.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        # One message for a wrong password and a missing or wrong code, so a guesser never learns
        # that the password was right.
        "invalid_login": (
            "Please enter the correct %(username)s and password for a staff account and, if you sign in with "
            "an authenticator app, the 6-digit code it shows now. Note that the fields may be case-sensitive."
        ),
        "device_required": (
            "Superusers must sign in with a code from an authenticator app, and none is set up for you yet. "
            "Ask another administrator to add a TOTP device for you (Two-factor sign-in > TOTP devices) or to run "
            f"“{SET_UP_COMMAND} <your username>” on the server, scan the QR code it gives with an "
            "authenticator app, then sign in with the app’s code."
        ),
    }

    def clean(self):
        super().clean()  # the password, and that the user is active staff
        user = self.get_user()
        if user is not None:
            self.clean_code(user)
        return self.cleaned_data

    def clean_code(self, user):
        if not user_has_device(user, confirmed=True):
            if settings.OTP_REQUIRED_FOR_SUPERUSERS and user.is_superuser:
                raise forms.ValidationError(self.error_messages["device_required"], code="device_required")
            return
        token = "".join(self.cleaned_data.get("otp_token", "").split())
        if token:
            with transaction.atomic():
                allowed = [
                    d for d in devices_for_user(user, confirmed=True, for_verify=True) if d.verify_is_allowed()[0]
                ]
                verified = next((device for device in allowed if device.verify_token(token)), None)
                if verified:
                    # Trying each of the user's apps in turn counted a failure on the others; undo it.
                    for other in allowed:
                        if other != verified:
                            other.throttle_reset()
                    user.otp_device = verified  # django_otp keeps it in the session at login
                    return
        # Raised outside the atomic block, which would otherwise undo the device's count of wrong codes.
        self.count_failure()
        raise self.get_invalid_login_error()

    def count_failure(self):
        # django-axes counts this like a wrong password, so codes cannot be guessed without limit.
        user_login_failed.send(
            sender=__name__, credentials={"username": self.cleaned_data.get("username")}, request=self.request
        )


class StaffAdminSite(admin.AdminSite):
    """`admin.site` (see core/admin_apps.py). Staff who must give a code are let in only when their
    session signed in with one; everyone else exactly as Django's own site."""

    site_header = "Calm Response Training: office"
    site_title = "Calm Response Training admin"
    login_form = StaffAuthenticationForm

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return is_verified(request.user) or not code_required(request.user)

    # Where members of a group land after signing in, unless `next` asks for another page: sales
    # staff start the day on their lead list. Superusers land on the index as usual.
    group_landing_pages = {"Sales": "admin:enquiries_lead_changelist"}

    def login(self, request, extra_context=None):
        user = request.user
        context = {
            # Signed in, but without the code this account now needs (a device added since).
            "code_needed": user.is_active and user.is_staff and not is_verified(user) and code_required(user),
            **(extra_context or {}),
        }
        response = super().login(request, context)
        if request.method == "POST" and response.status_code == 302 and request.user.is_authenticated:
            index = reverse("admin:index", current_app=self.name)
            # The sign-in form posts the index as `next` when no other page was asked for.
            if response["Location"] == index and (landing := self.landing_page(request.user)):
                return HttpResponseRedirect(landing)
        return response

    def landing_page(self, user):
        if user.is_superuser:
            return None
        names = set(user.groups.values_list("name", flat=True))
        for group, url_name in self.group_landing_pages.items():
            if group in names:
                return reverse(url_name, current_app=self.name)
        return None


def client_ip(request):
    """AXES_CLIENT_IP_CALLABLE: the project's client address (which honours TRUSTED_PROXIES), or
    None when that is not an IP address, since axes keeps it in an IP address column."""
    try:
        return str(ipaddress.ip_address(client_address(request)))
    except ValueError:
        return None


def cool_off_text(request):
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the page shown instead of the sign-in form while locked out."""
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed sign-ins",
        "cool_off": cool_off_text(request),
    }
    return render(request, "admin/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


class SignInAttemptHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler, also locking out an address after
    AXES_IP_FAILURE_LIMIT failed sign-ins within the cool-off, whatever usernames they were for."""

    def is_locked(self, request, credentials=None):
        return super().is_locked(request, credentials) or self.address_locked(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out or self.is_whitelisted(request, credentials):
            return
        if self.address_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def address_locked(self, request):
        limit = settings.AXES_IP_FAILURE_LIMIT
        if not limit:
            return False
        failures = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
        ).aggregate(total=Sum("failures_since_start"))["total"]
        return (failures or 0) >= limit
