"""App configs for the admin and the sign-in apps: our site (core.admin_site.StaffAdminSite) as
`admin.site`, and plain names for django-axes' and django-otp's sections of the admin.

Kept apart from core/admin_site.py because INSTALLED_APPS imports this before the models are
ready, and the site's sign-in form needs the user model.
"""

from axes.apps import AppConfig as AxesConfig
from django.contrib.admin.apps import AdminConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class StaffAdminConfig(AdminConfig):
    default_site = "core.admin_site.StaffAdminSite"


class SignInAttemptsConfig(AxesConfig):
    verbose_name = "Sign-in attempts and lockouts"


class TwoFactorConfig(TOTPConfig):
    verbose_name = "Two-factor sign-in"
