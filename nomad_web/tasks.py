from __future__ import annotations

from celery import shared_task

from nomad_web.mail import email_send


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, acks_late=True)
def send_email(*, subject: str, body: str, to: list[str], html: str = "") -> int:
    return email_send(subject=subject, body=body, to=to, html=html)


@shared_task(acks_late=True)
def sweep_side_effects() -> dict[str, int]:
    """Beat: queue again the after-commit tasks whose effect is missing (nomad_web.sweeps)."""
    from nomad_web.sweeps import sweep_side_effects as sweep

    return sweep()
