"""Talking to the mail server (SMTP), with errors turned into the server's own words.

Plain Python (smtplib); nothing here logs a message body, so a ballot link never reaches a
log file.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

SECURITY = ("starttls", "ssl", "none")


class MailError(Exception):
    """A message could not be sent; str(error) is the reason, in the mail server's words.
    *permanent*: the server refused it for good (a 5xx answer), so trying again is useless.
    *uncertain*: the connection broke while the text was going: it may have arrived."""

    def __init__(self, reason: str, *, permanent: bool = False, uncertain: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.uncertain = uncertain


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    username: str = ""
    password: str = ""
    security: str = "none"  # "starttls", "ssl" or "none"
    sender: str = "voting@localhost"
    rate: float = 5.0  # messages per second at most
    timeout: float = 20.0

    @classmethod
    def from_config(cls, config: dict) -> SmtpSettings:
        security = str(config.get("SMTP_SECURITY", "none")).lower()
        if security not in SECURITY:
            raise MailError(f"SMTP_SECURITY must be one of {', '.join(SECURITY)}")
        return cls(
            host=str(config.get("SMTP_HOST", "localhost")),
            port=int(config.get("SMTP_PORT", 465 if security == "ssl" else 25)),
            username=str(config.get("SMTP_USERNAME", "")),
            password=str(config.get("SMTP_PASSWORD", "")),
            security=security,
            sender=str(config.get("MAIL_FROM", "voting@localhost")),
            rate=float(config.get("MAIL_RATE", 5.0)),
            timeout=float(config.get("SMTP_TIMEOUT", 20.0)),
        )


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return (
            "the mail server cannot take an address with letters beyond ASCII before the @ "
            "(it does not offer SMTPUTF8): give this attendee their card at the desk"
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return f"{code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return str(error) or type(error).__name__


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


class _HookedData:
    """An SMTP connection that calls *before_data* once the envelope is accepted and just
    before the message's text goes: the queue marks the message "handed" there."""

    before_data: Callable[[], None] | None = None

    def data(self, msg):  # type: ignore[no-untyped-def]
        if self.before_data is not None:
            self.before_data()
        return super().data(msg)  # type: ignore[misc]


class _SMTP(_HookedData, smtplib.SMTP):
    pass


class _SMTP_SSL(_HookedData, smtplib.SMTP_SSL):
    pass


class Mailer:
    """One SMTP connection, opened when first needed and reopened after the server drops it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: _SMTP | _SMTP_SSL | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> _SMTP | _SMTP_SSL:
        s = self.settings
        try:
            if s.security == "ssl":
                smtp: _SMTP | _SMTP_SSL = _SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = _SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"cannot reach the mail server {s.host}:{s.port}: {_reason(exc)}"
            ) from None
        return smtp

    def send(self, message: EmailMessage, before_data: Callable[[], None] | None = None) -> None:
        """Send one message or raise MailError with the server's reason; *before_data* is
        called once the server accepted the envelope, just before the text goes."""
        handed = []

        def handing_over() -> None:
            handed.append(True)
            if before_data is not None:
                before_data()

        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.before_data = handing_over
            try:
                self._smtp.send_message(message)
                return
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                # Dropped between messages: reconnect once. Dropped while the text was going,
                # it may have arrived: never send it again from here.
                if attempt == 2 or handed:
                    raise MailError(
                        "the mail server closed the connection", uncertain=bool(handed)
                    ) from None
            except (TimeoutError, smtplib.SMTPException, OSError) as exc:
                answered = isinstance(
                    exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused
                )
                if isinstance(exc, OSError | socket.timeout):
                    self.close()
                raise MailError(
                    _reason(exc),
                    permanent=_is_permanent(exc),
                    uncertain=bool(handed) and not answered,
                ) from None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None
