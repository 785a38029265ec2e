"""Delivery of one message through a provider, configured per province.

Every provider answers with the provider's message id, or raises ``DeliveryError``
(``permanent=True`` when retrying cannot help: a refused number, a bad address).

- ``EsmsProvider``: SMS through a Vietnamese gateway's JSON API in the style of eSMS.vn
  (``ApiKey``, ``SecretKey``, ``Phone``, ``Content``, ``Brandname``, ``SmsType``,
  ``IsUnicode``; success is ``CodeResult == "100"`` with ``SMSID``). The address is
  ``MOTCUA_NOTICE_SMS_URL``; brand-name SMS need the brand registered with the carrier.
- ``SmtpProvider``: e-mail over SMTP with STARTTLS when the server offers it.
- ``ZaloZnsProvider``: Zalo Notification Service template messages of the province's
  official account (``POST …/message/template``, header ``access_token``, body
  ``phone`` in 84… form, ``template_id``, ``template_data``, ``tracking_id``; success is
  ``error == 0`` with ``data.msg_id``).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import requests

from server.notices.text import sms_text

TIMEOUT = (5, 20)


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    recipient: str
    subject: str
    body: str
    kind: str
    receipt: str
    tracking_id: str


class Provider(Protocol):
    @property
    def channel(self) -> str: ...

    def send(self, message: Message) -> str: ...


def international(phone: str) -> str:
    """0912345678 → 84912345678 (the form gateways and Zalo want)."""
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


def _post_json(url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    try:
        response = requests.post(url, json=payload, headers=headers or {}, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise DeliveryError(f"provider unreachable: {error}") from error
    if response.status_code >= 500:
        raise DeliveryError(f"provider error HTTP {response.status_code}")
    if response.status_code >= 400:
        raise DeliveryError(f"provider refused: HTTP {response.status_code}", permanent=True)
    try:
        return response.json()
    except ValueError as error:
        raise DeliveryError("provider answered something that is not JSON") from error


@dataclass(frozen=True)
class EsmsProvider:
    url: str
    api_key: str
    secret_key: str
    brandname: str
    channel: str = "sms"

    def send(self, message: Message) -> str:
        text, unicode = sms_text(message.body)
        payload = {
            "ApiKey": self.api_key,
            "SecretKey": self.secret_key,
            "Phone": message.recipient,
            "Content": text,
            "Brandname": self.brandname,
            "SmsType": "2",  # brand-name customer care
            "IsUnicode": "1" if unicode else "0",
            "RequestId": message.tracking_id,
        }
        answer = _post_json(self.url, payload)
        code = str(answer.get("CodeResult", ""))
        if code == "100":
            return str(answer.get("SMSID", ""))
        # 99/101/104: account or unknown errors, retried; 789 etc.: content refused.
        permanent = code not in ("99", "101", "104")
        raise DeliveryError(
            f"SMS gateway code {code}: {answer.get('ErrorMessage', '')}", permanent=permanent
        )


@dataclass(frozen=True)
class ZaloZnsProvider:
    url: str
    access_token: str
    template_id: str
    channel: str = "zalo"

    def send(self, message: Message) -> str:
        payload = {
            "phone": international(message.recipient),
            "template_id": self.template_id,
            "template_data": {
                "receipt_number": message.receipt,
                "kind": message.kind,
                "content": message.body,
            },
            "tracking_id": message.tracking_id,
        }
        answer = _post_json(self.url, payload, {"access_token": self.access_token})
        if answer.get("error") == 0:
            return str((answer.get("data") or {}).get("msg_id", ""))
        # Negative codes: -124 token expired (retry after renewal); -108 bad phone etc.
        code = answer.get("error")
        raise DeliveryError(
            f"Zalo error {code}: {answer.get('message', '')}", permanent=code in (-108, -118, -137)
        )


@dataclass(frozen=True)
class SmtpProvider:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    channel: str = "email"

    def send(self, message: Message) -> str:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(domain=self.sender.partition("@")[2] or None)
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"address refused: {error}", permanent=True) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP: {error}") from error
        return str(email["Message-ID"])


def configured(config: Any) -> dict[str, Provider]:
    """The province's providers from its settings; a channel without settings is off."""
    providers: dict[str, Provider] = {}
    if config.get("NOTICE_SMS_URL"):
        providers["sms"] = EsmsProvider(
            config["NOTICE_SMS_URL"],
            config.get("NOTICE_SMS_API_KEY", ""),
            config.get("NOTICE_SMS_SECRET_KEY", ""),
            config.get("NOTICE_SMS_BRANDNAME", ""),
        )
    if config.get("NOTICE_SMTP_HOST"):
        providers["email"] = SmtpProvider(
            config["NOTICE_SMTP_HOST"],
            int(config.get("NOTICE_SMTP_PORT") or 587),
            config.get("NOTICE_SMTP_FROM", ""),
            config.get("NOTICE_SMTP_USER", ""),
            config.get("NOTICE_SMTP_PASSWORD", ""),
        )
    if config.get("NOTICE_ZALO_URL"):
        providers["zalo"] = ZaloZnsProvider(
            config["NOTICE_ZALO_URL"],
            config.get("NOTICE_ZALO_TOKEN", ""),
            config.get("NOTICE_ZALO_TEMPLATE_ID", ""),
        )
    return providers
