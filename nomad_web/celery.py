import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nomad_web.settings")

app = Celery("nomad_web")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
