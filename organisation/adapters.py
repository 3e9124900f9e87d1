from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from nomad_web.mail import email_enqueue


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by staff, never by sign-up; account emails go through Celery."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        message = self.render_mail(template_prefix, email, context)
        email_enqueue(message=message)
