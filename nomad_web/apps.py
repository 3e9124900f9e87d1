from django.apps import AppConfig


class NomadWebConfig(AppConfig):
    name = "nomad_web"

    def ready(self) -> None:
        from nomad_web import request_cache
        from nomad_web.observability import connect_task_signals
        from nomad_web.telemetry import telemetry_init

        request_cache.connect()  # invalidation of the per-request caches
        connect_task_signals()  # a log line and a count per Celery task
        telemetry_init()  # Sentry and OpenTelemetry, when their variables are set
