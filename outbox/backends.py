"""The SMTP backend the outbox sends through: Django's, with two changes.

- Two timeouts: EMAIL_TIMEOUT (short) to connect and say hello, EMAIL_REPLY_TIMEOUT (long) for
  every reply after that. A server may take minutes to answer the end of DATA while it scans the
  message (RFC 5321 4.5.3.2 suggests waiting 10 minutes); giving up sooner makes us send again.
- A reply lost after the whole message went out (a timeout, a dropped connection) raises
  DeliveryUnknown: the server may have accepted it, so it must not be retried blindly. Errors
  before that point are plain transient errors, safe to retry.

The outbox sends through it whenever EMAIL_BACKEND is Django's SMTP backend (EMAIL_URL=smtp://...).
"""

import smtplib

from django.conf import settings
from django.core import mail
from django.core.mail.backends import smtp


class DeliveryUnknown(Exception):
    """The message was sent in full, but the server's answer never came."""


class _NotesWhenSent:
    """Remembers whether a whole message has gone out: smtplib sends it as one block of bytes
    ending in CRLF.CRLF, while commands are text."""

    message_sent = False

    def sendmail(self, *args, **kwargs):
        self.message_sent = False
        return super().sendmail(*args, **kwargs)

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.message_sent = True


class SMTP(_NotesWhenSent, smtplib.SMTP):
    pass


class SMTP_SSL(_NotesWhenSent, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    @property
    def connection_class(self):
        return SMTP_SSL if self.use_ssl else SMTP

    def open(self):
        opened = super().open()  # connects, says EHLO, STARTTLS and logs in within EMAIL_TIMEOUT
        if opened and self.connection.sock is not None:
            self.connection.sock.settimeout(settings.EMAIL_REPLY_TIMEOUT)
        return opened

    def _send(self, email_message):
        try:
            return super()._send(email_message)
        except smtplib.SMTPResponseException:
            raise  # the server answered: refused, not unknown
        except OSError as exc:  # timeouts and lost connections (SMTPServerDisconnected too)
            if self.connection is not None and self.connection.message_sent:
                raise DeliveryUnknown(f"No answer after the message was sent: {exc}") from exc
            raise


def get_connection():
    """The outbox's connection: this backend when the site sends by SMTP, otherwise the one
    EMAIL_BACKEND names (the console in development, memory in tests)."""
    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        return EmailBackend()
    return mail.get_connection()
