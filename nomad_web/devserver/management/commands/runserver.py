"""``runserver`` (staticfiles' own), each reply sent as soon as it is written: see
``nomad_web.devserver.nodelay`` (100 queued submits replayed lost some 4 s without it)."""

from __future__ import annotations

from django.contrib.staticfiles.management.commands.runserver import Command as BaseCommand

from nomad_web.devserver.nodelay import NoDelayWSGIServer


class Command(BaseCommand):
    server_cls = NoDelayWSGIServer
