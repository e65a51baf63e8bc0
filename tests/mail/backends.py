"""Email backends for tests: Django's in-memory backend that fails the way an SMTP server does.
Subclasses of a local backend, so without a broker their jobs run inline (registry.mail.services)."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class DisconnectingBackend(EmailBackend):
    """The server drops the connection for the first `failures` messages (all of them: None)."""

    failures: int | None = None
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if self.failures is None or type(self).calls <= self.failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class RefusingBackend(EmailBackend):
    """The server refuses the recipient for good (550)."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"5.1.1 mailbox unavailable")})
