"""Give a staff user an authenticator app (a TOTP device): from then on they sign in to the admin
with their password and the app's 6-digit code. Prints the otpauth:// link and a QR code to scan."""

import io
from base64 import b32encode

import segno
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Give a staff user a TOTP authenticator device and print the link (and QR code) to scan into their app."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Authenticator app", help="What the device is called in the admin.")
        parser.add_argument(
            "--replace", action="store_true", help="Delete the user's TOTP devices first (a lost or new phone)."
        )
        parser.add_argument("--no-qr", action="store_true", help="Print only the link and the key, no QR code.")

    def handle(self, *args, username, name, replace, no_qr, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"There is no user {username!r}.") from None
        if not user.is_staff:
            raise CommandError(f"{username} is not staff: only staff sign in to the admin.")
        with transaction.atomic():
            existing = TOTPDevice.objects.filter(user=user)
            if existing.exists() and not replace:
                raise CommandError(
                    f"{username} already has an authenticator ({', '.join(d.name for d in existing)}). "
                    "Run again with --replace to swap it for a new one."
                )
            existing.delete()
            device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)

        url = device.config_url
        self.stdout.write(f"{username} now signs in to the admin with a code from this authenticator.\n")
        if not no_qr:
            qr = io.StringIO()
            segno.make(url, error="m").terminal(out=qr, compact=True)
            self.stdout.write(qr.getvalue())
        self.stdout.write(f"Link for the authenticator app: {url}")
        self.stdout.write(f"Or type this key into the app by hand: {b32encode(device.bin_key).decode()}")
        self.stdout.write(
            "Scan it in an authenticator app (Microsoft Authenticator, Google Authenticator, 1Password ...), "
            "then sign in with the 6-digit code it shows. Keep this output private: it is the secret."
        )
