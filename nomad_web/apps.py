from django.apps import AppConfig


class NomadWebConfig(AppConfig):
    name = "nomad_web"

    def ready(self) -> None:
        from nomad_web import request_cache

        request_cache.connect()  # invalidation of the per-request caches
