"""Outgoing email: built in the request, sent by a Celery worker after the commit."""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction


def email_enqueue(*, message: EmailMessage) -> None:
    """Send ``message`` from a worker once the current transaction has committed."""
    from nomad_web.tasks import send_email

    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((str(c) for c, mime in message.alternatives if mime == "text/html"), "")
    subject, body, to = str(message.subject), str(message.body), list(message.to)
    transaction.on_commit(lambda: send_email.delay(subject=subject, body=body, to=to, html=html))


def email_send(
    *,
    subject: str,
    body: str,
    to: list[str],
    html: str = "",
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> int:
    """Send one email now; returns the number of messages sent (0 or 1).

    ``attachments``: (file name, content, MIME type), e.g. a quote's PDF. Called from a
    worker (a quotes task), never with bytes through the broker."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
    return message.send()
