"""Settings for the test suite: the real settings, made fast and deterministic.

DATABASE_URL and REDIS_URL are honoured as in production, so CI runs the same suite on
PostgreSQL and Redis. Celery stays eager unless a test asks for the real broker.
"""

import os
import tempfile

os.environ.setdefault("NOMAD_ENV", "test")

from nomad_web.settings import *
from nomad_web.settings import CACHES

# Rendered PDFs of the tests go to a scratch folder, never to the working tree.
STORAGES["documents"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": tempfile.mkdtemp(prefix="nomad-test-documents-"), "base_url": None},
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CACHES["default"]["KEY_PREFIX"] = "nomad-test"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Fault injection for the offline replay tests; idle unless a test configures it.
MIDDLEWARE = [*MIDDLEWARE, "nomad_web.chaos.ChaosMiddleware"]

# The tests seal with their own throwaway certificate (made by a session fixture).
_SEAL_DIR = tempfile.mkdtemp(prefix="nomad-test-seal-")
NOMAD_SEAL_CERT_FILE = os.path.join(_SEAL_DIR, "seal-cert.pem")
NOMAD_SEAL_KEY_FILE = os.path.join(_SEAL_DIR, "seal-key.pem")
# Every event the tests write is checked against its JSON Schema (docs/events/).
NOMAD_EVENTS_VALIDATE = True
