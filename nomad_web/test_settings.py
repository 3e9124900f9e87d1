"""Settings for the test suite: the real settings, made fast and deterministic.

DATABASE_URL and REDIS_URL are honoured as in production, so CI runs the same suite on
PostgreSQL and Redis. Celery stays eager unless a test asks for the real broker.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("NOMAD_ENV", "test")

from nomad_web.file_storage import filesystem_storages
from nomad_web.settings import *
from nomad_web.settings import CACHES

# Rendered PDFs of the tests go to a scratch folder, never to the working tree.
STORAGES = {
    **STORAGES,
    **filesystem_storages(documents_root=Path(tempfile.mkdtemp(prefix="nomad-test-documents-"))),
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CACHES["default"]["KEY_PREFIX"] = "nomad-test"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Fault injection for the offline replay tests; idle unless a test configures it.
MIDDLEWARE = [*MIDDLEWARE, "nomad_web.chaos.ChaosMiddleware"]

# The tests seal with throwaway certificates, one per brand, made when first needed.
NOMAD_SEAL_DIR = Path(tempfile.mkdtemp(prefix="nomad-test-seal-"))
# Every event the tests write is checked against its JSON Schema (docs/events/).
NOMAD_EVENTS_VALIDATE = True
