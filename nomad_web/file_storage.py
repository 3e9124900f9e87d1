"""The file storages (``settings.STORAGES["default"]`` for uploads such as brand logos,
``["documents"]`` for the quotes' and contracts' PDFs and evidence), on the local disk or
on an S3-compatible object store shared by every web node and worker.

Code reads and writes files through these storages only (``FieldFile.open``, ``save``,
``delete``), never through a path, so both kinds work everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def filesystem_storages(*, documents_root: Path) -> dict[str, dict[str, Any]]:
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            # No base_url: the documents are never served as files, only by the views.
            "OPTIONS": {"location": documents_root, "base_url": None},
        },
    }


def s3_storages(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Both storages in one bucket, under ``media/`` and ``documents/``."""
    common = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "region_name": region or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        # Private objects, read through the app's views only (the logo too: see
        # organisation.views.brand_logo), and never overwritten: each document is written
        # once under a name of its own.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    backend = "storages.backends.s3.S3Storage"
    return {
        "default": {"BACKEND": backend, "OPTIONS": {**common, "location": "media"}},
        "documents": {"BACKEND": backend, "OPTIONS": {**common, "location": "documents"}},
    }
