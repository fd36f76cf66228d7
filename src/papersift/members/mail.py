"""Sending e-mail through an SMTP server (the settings `smtp_*` and `mail_from`).

One connection serves a whole digest run; a dropped connection is opened again once per message
before the error is reported. Passwords are only sent over TLS (`smtp_tls` starttls or tls) or to
a server on this machine.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from types import TracebackType
from typing import Literal

from papersift.errors import PapersiftError
from papersift.settings import Settings

TlsMode = Literal["none", "starttls", "tls"]
TIMEOUT_SECONDS = 60


class MailError(PapersiftError):
    """The SMTP server could not be reached or refused a message."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: TlsMode
    user: str
    password: str
    mail_from: str

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SmtpSettings:
        settings = settings or Settings.read()
        tls = settings["smtp_tls"].strip().lower()
        if tls not in ("none", "starttls", "tls"):
            raise MailError(f"smtp_tls must be none, starttls or tls, not {tls!r}")
        port_text = settings["smtp_port"].strip()
        try:
            port = int(port_text) if port_text else {"tls": 465, "starttls": 587}.get(tls, 25)
        except ValueError:
            raise MailError(f"smtp_port must be a number, not {port_text!r}") from None
        mail_from = settings["mail_from"].strip()
        if "@" not in parseaddr(mail_from)[1] or any(c in mail_from for c in "\r\n"):
            raise MailError(f"mail_from is not an e-mail address: {mail_from!r}")
        host = settings["smtp_host"].strip()
        user, password = settings["smtp_user"], settings["smtp_password"]
        if user and tls == "none" and host not in ("localhost", "127.0.0.1", "::1"):
            raise MailError("refusing to send an SMTP password unencrypted: set smtp_tls to starttls or tls")
        return cls(host, port, tls, user, password, mail_from)  # type: ignore[arg-type]


class SmtpSender:
    """`with SmtpSender(settings) as send: send(message)`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __call__(self, message: EmailMessage) -> None:
        for attempt in (1, 2):
            try:
                client = self._client or self._connect()
                refused = client.send_message(message)
            except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
                self.close()
                if attempt == 2:
                    raise MailError(
                        f"the SMTP server {self._where()} dropped the connection: {error}"
                    ) from None
                continue
            except smtplib.SMTPException as error:
                raise MailError(f"the SMTP server {self._where()} refused a message: {error}") from None
            if refused:
                raise MailError(f"the SMTP server {self._where()} refused recipients: {refused}")
            return

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if settings.tls == "tls":
                client = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context
                )
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
                if settings.tls == "starttls":
                    client.starttls(context=context)
            if settings.user:
                client.login(settings.user, settings.password)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"cannot send through the SMTP server {self._where()}: {error}") from None
        self._client = client
        return client

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"
