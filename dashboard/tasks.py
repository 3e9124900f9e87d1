from __future__ import annotations

from celery import shared_task

from dashboard.summaries import summaries_refresh


@shared_task(ignore_result=True)
def refresh_summaries() -> None:
    """Rebuild the dashboard's summary table (Celery beat, DASHBOARD_SUMMARY_EVERY_SECONDS)."""
    summaries_refresh()
