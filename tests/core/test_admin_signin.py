"""Staff sign-in to the admin through the real login form: lockout after failed sign-ins
(django-axes) and two-factor codes from an authenticator app (django-otp)."""

import html
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

User = get_user_model()

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
PASSWORD = "correct-horse-battery-staple"
LOCKED = "Too many failed sign-ins. Try again in 30 minutes, or ask an administrator to unlock you."


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sam():
    return User.objects.create_user("sam", email="sam@example.com", password=PASSWORD, is_staff=True)


@pytest.fixture
def boss():
    return User.objects.create_superuser("boss", email="boss@example.com", password=PASSWORD)


def sign_in(client, username, password=PASSWORD, code="", **extra):
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": code, "next": INDEX}, **extra)


def signed_in(client):
    return client.get(INDEX).status_code == 200


def code_for(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def fail(client, username, times, **extra):
    return [sign_in(client, username, "wrong-password", **extra) for _ in range(times)]


# Lockout


def test_the_right_password_is_refused_after_the_limit_of_wrong_ones(client, sam):
    responses = fail(client, "sam", 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert "Please enter the correct username and password" in responses[0].text

    response = sign_in(client, "sam")
    assert response.status_code == 429
    assert LOCKED in response.text
    assert "Calm Response Training: office" in response.text  # the admin's own page, in its look
    assert 'href="/admin/login/"' in response.text
    assert not signed_in(client)


def test_fewer_wrong_passwords_than_the_limit_still_let_the_right_one_in_and_start_the_count_again(client, sam):
    fail(client, "sam", 4)
    assert sign_in(client, "sam").status_code == 302
    assert signed_in(client)
    client.logout()
    assert [r.status_code for r in fail(client, "sam", 4)] == [200] * 4
    assert sign_in(client, "sam").status_code == 302


def test_a_lockout_holds_only_that_username_from_that_address(client, sam):
    alex = User.objects.create_user("alex", password=PASSWORD, is_staff=True)
    fail(client, "sam", 5)

    assert sign_in(client, "sam", REMOTE_ADDR="198.51.100.7").status_code == 302  # sam, elsewhere
    client.logout()
    assert sign_in(client, alex.username).status_code == 302  # someone else, same address
    assert signed_in(client)


def test_sign_in_works_again_after_the_cool_off(client, sam):
    fail(client, "sam", 5)
    assert sign_in(client, "sam").status_code == 429

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=31))
    assert sign_in(client, "sam").status_code == 302
    assert signed_in(client)


def test_the_cool_off_comes_from_the_setting(client, sam, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=5)
    fail(client, "sam", 5)
    response = sign_in(client, "sam")
    assert "Try again in 5 minutes" in response.text

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=6))
    assert sign_in(client, "sam").status_code == 302


def test_the_limit_comes_from_the_setting(client, sam, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert [r.status_code for r in fail(client, "sam", 2)] == [200, 429]
    assert sign_in(client, "sam").status_code == 429


def test_one_address_is_locked_out_after_the_address_limit_across_usernames(client, sam, settings):
    settings.AXES_IP_FAILURE_LIMIT = 6
    for name in ["ann", "bob", "cat", "dan", "eve"]:
        assert fail(client, name, 1)[0].status_code == 200
    assert fail(client, "fay", 1)[0].status_code == 429  # the sixth from this address

    assert sign_in(client, "sam").status_code == 429
    assert sign_in(client, "sam", REMOTE_ADDR="198.51.100.7").status_code == 302


def test_behind_a_proxy_the_forwarded_client_address_is_the_one_counted(client, sam, settings):
    settings.TRUSTED_PROXIES = 1
    attacker = {"HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.5"}  # the left one is the client's own claim
    fail(client, "sam", 5, **attacker)
    assert sign_in(client, "sam", **attacker).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"

    # Same proxy (REMOTE_ADDR), another client behind it.
    assert sign_in(client, "sam", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.6").status_code == 302


def test_an_administrator_unlocks_with_the_axes_command(client, sam):
    fail(client, "sam", 5)
    assert "1 attempts removed" in run("axes_reset_username", "sam")
    assert sign_in(client, "sam").status_code == 302


def test_an_administrator_unlocks_in_the_admin(client, sam, admin_client):
    fail(client, "sam", 5)
    attempt = AccessAttempt.objects.get(username="sam")
    page = admin_client.get(reverse("admin:axes_accessattempt_changelist"), {"locked_out": "yes"})
    assert list(page.context["cl"].result_list) == [attempt]

    admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert sign_in(client, "sam").status_code == 302


def test_limits_and_cool_off_are_read_from_the_environment():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, s.AXES_IP_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.OTP_REQUIRED_FOR_SUPERUSERS)"
    )

    def read(**env):
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("AXES_", "OTP_"))}
        environment.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true", **env)
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=environment, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert read() == ["5", "20", "0:30:00", "False"]
    assert read(
        AXES_FAILURE_LIMIT="8", AXES_IP_FAILURE_LIMIT="0", AXES_COOLOFF_MINUTES="90", OTP_REQUIRED_FOR_SUPERUSERS="true"
    ) == ["8", "0", "1:30:00", "True"]


# Two-factor codes


@pytest.fixture
def sam_device(sam):
    return TOTPDevice.objects.create(user=sam, name="Phone")


def test_staff_without_a_device_sign_in_with_a_password_alone(client, sam):
    page = client.get(LOGIN)
    assert 'name="otp_token"' in page.text
    assert 'autocomplete="one-time-code"' in page.text
    assert sign_in(client, "sam").status_code == 302
    assert signed_in(client)


GENERIC = "the 6-digit code it shows now"


def test_staff_with_a_device_must_give_its_code(client, sam_device):
    response = sign_in(client, "sam")
    assert response.status_code == 200
    assert GENERIC in response.text
    # The same words as for a wrong password: a guesser never learns the password was right.
    assert html.unescape(sign_in(client, "sam", password="wrong-password").text).count(GENERIC) == 1
    assert not signed_in(client)

    assert sign_in(client, "sam", code=code_for(sam_device)).status_code == 302
    assert signed_in(client)


def test_a_wrong_code_is_refused(client, sam_device):
    right = code_for(sam_device)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = sign_in(client, "sam", code=wrong)
    assert response.status_code == 200
    assert GENERIC in response.text
    assert not signed_in(client)
    # At once again, even the right code: the device waits a moment after a wrong one.
    again = sign_in(client, "sam", code=right)
    assert GENERIC in again.text and not signed_in(client)


def test_with_two_devices_either_code_signs_in_and_the_other_device_is_not_held_back(client, sam, sam_device):
    spare = TOTPDevice.objects.create(user=sam, name="Spare phone")
    assert sign_in(client, "sam", code=code_for(spare)).status_code == 302
    sam_device.refresh_from_db()
    assert sam_device.throttling_failure_count == 0


def test_a_code_from_another_users_device_is_refused(client, sam_device):
    alex = User.objects.create_user("alex", password=PASSWORD, is_staff=True)
    TOTPDevice.objects.create(user=alex, name="Phone")
    response = sign_in(client, "alex", code=code_for(sam_device))
    assert GENERIC in response.text
    assert not signed_in(client)


def test_wrong_codes_count_towards_the_lockout(client, sam_device, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # so each code is checked, not held back by the device's own throttle
    right = code_for(sam_device)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    statuses = [sign_in(client, "sam", code=wrong).status_code for _ in range(4)]
    statuses.append(sign_in(client, "sam").status_code)  # no code at all counts too
    assert statuses == [200, 200, 200, 200, 429]

    response = sign_in(client, "sam", code=right)
    assert response.status_code == 429
    assert LOCKED in response.text
    assert not signed_in(client)


def test_a_session_without_the_code_is_sent_back_to_sign_in_once_a_device_is_added(client, sam):
    assert sign_in(client, "sam").status_code == 302
    TOTPDevice.objects.create(user=sam, name="Phone")

    response = client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    page = client.get(response["Location"])
    assert "this account now signs in with a code from an" in page.text


def test_superusers_sign_in_without_a_code_by_default(client, boss, admin_client):
    assert sign_in(client, "boss").status_code == 302
    assert signed_in(client)
    assert signed_in(admin_client)


def test_when_required_a_superuser_without_a_device_cannot_sign_in(client, boss, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    response = sign_in(client, "boss")
    assert response.status_code == 200
    assert "Superusers must sign in with a code from an authenticator app" in response.text
    assert "python manage.py add_totp_device" in response.text
    assert not signed_in(client)


def test_when_required_a_superuser_with_a_device_signs_in_with_its_code(client, boss, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    device = TOTPDevice.objects.create(user=boss, name="Phone")
    assert GENERIC in sign_in(client, "boss").text
    assert sign_in(client, "boss", code=code_for(device)).status_code == 302
    assert signed_in(client)


def test_when_required_a_superuser_session_without_the_code_is_refused(admin_client, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    response = admin_client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_sales_staff_without_devices_are_unaffected_by_the_superuser_setting(client, sam, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    assert sign_in(client, "sam").status_code == 302
    assert signed_in(client)


# Setting up a device


def test_the_command_gives_a_device_whose_code_signs_in(client, sam):
    out = run("add_totp_device", "sam")
    assert "otpauth://totp/Calm%20Response%20Training%3Asam?secret=" in out
    assert "issuer=Calm%20Response%20Training" in out
    assert "█" in out or "▀" in out  # the QR code, drawn in the terminal
    device = TOTPDevice.objects.get(user=sam)
    assert device.confirmed
    assert sign_in(client, "sam", code=code_for(device)).status_code == 302


def test_an_administrator_sees_the_qr_code_of_a_device_in_the_admin(admin_client, sam_device):
    page = admin_client.get(reverse("admin:otp_totp_totpdevice_config", args=[sam_device.pk]))
    assert page.status_code == 200
    qr = admin_client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[sam_device.pk]))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"


def test_the_command_replaces_a_device_only_when_asked(sam_device):
    with pytest.raises(CommandError, match="already has an authenticator"):
        run("add_totp_device", "sam")
    out = run("add_totp_device", "sam", "--replace", "--no-qr", "--name", "New phone")
    assert "█" not in out
    assert list(TOTPDevice.objects.values_list("name", flat=True)) == ["New phone"]


def test_the_command_refuses_unknown_and_non_staff_users():
    User.objects.create_user("visitor")
    with pytest.raises(CommandError, match="no user 'nobody'"):
        run("add_totp_device", "nobody")
    with pytest.raises(CommandError, match="not staff"):
        run("add_totp_device", "visitor")
