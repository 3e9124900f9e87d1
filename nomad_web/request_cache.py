"""Per-request reads that rarely change, kept in Django's cache (Redis, shared by the workers).

One way of doing it for every family of data:

* a value's key holds the family's *generation*: ``rc:<family>:<generation>:<name>``;
* saving or deleting a row of the family (the admin, a service, a signal receiver below)
  bumps the generation, so every worker's next read misses and goes to the database;
* a modest timeout (``TIMEOUT``) is only a safety net.

The generation is bumped twice: at once, so the rest of the same request or transaction
reads the new data, and again when the transaction commits, so a value cached by another
worker between the first bump and the commit (still the old data) is not kept either. A
rolled-back write then costs a needless miss, never a stale page. A transaction that
changed a family reads that family from the database, and stores nothing of it, until it
ends (its own writes are not for others to see yet, and a rollback would undo them).

Families and what bumps them:

``organisation``  Brand, Agency, Membership: the brand a person sees.
``announcements`` Announcement: what is published for each role.
``dismissals:<user id>``  Dismissal: what that one person has already read.
``legal``         LegalText (and the admin's publish action, an ``update()``).
``catalogue``     CatalogueVersion, Section, Question; ``catalogue_changed()`` for bulk writes.
``mfa:<user id>`` allauth Authenticator: whether that staff member has TOTP.

Values depending on a person are cached per user id, so agency scoping stays exact.

Round trips. A request reads each family's generation once: the first read fetches the
generations of every shared family in one ``get_many`` (with the signed-in person's own
families, once ``request_user`` has named them) and keeps them until the request ends
(a bump in the same request drops the family's, so it reads its own change; another
node's bump is seen from the next request on). A value is kept for a while in the
process too, pickled, under its full key: a key names its generation, so a value found
under it is the current one, and it is unpickled afresh for every reader as from Redis.
Outside a request (Celery tasks, commands), generations are read every time, as before.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

#: Seconds a value may live at most, whatever happens to the signals.
TIMEOUT = 300
_PREFIX = "rc"
#: The families most pages read, whose generations the first read of a request fetches.
SHARED_FAMILIES = ("organisation", "announcements", "legal", "catalogue")
#: Families kept per person (``<family>:<user id>``), fetched with the shared ones once the
#: request's user is known (``request_user``).
PER_USER_FAMILIES = ("dismissals", "mfa")
#: How many values the process keeps (pickled; a few KB each).
LOCAL_VALUES = 2048

#: The generations read during the current request (None outside a request); a family
#: read but not in the cache then is None until it is asked for.
_request_generations: ContextVar[dict[str, int | None] | None] = ContextVar(
    "request_generations", default=None
)
#: The signed-in person's own families, for the first read of the request.
_request_user_families: ContextVar[tuple[str, ...]] = ContextVar(
    "request_user_families", default=()
)
#: key -> (expiry, pickled value), the most recently used last; threads of one process
#: (runserver, a threaded worker) share it under the lock.
_local: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
_local_lock = threading.Lock()


def _generation_key(family: str) -> str:
    return f"{_PREFIX}:gen:{family}"


def _fresh_generation(key: str) -> int:
    # A fresh start from the clock, not from 1: if the cache lost the generation, keys of
    # an older generation must not come back to life.
    cache.add(key, time.time_ns() // 1_000_000, timeout=None)
    value = cache.get(key)
    return int(value) if value is not None else 0


def generation(family: str) -> int:
    """The family's current generation (created when missing); read once per request."""
    known = _request_generations.get()
    if known is None:
        value = cache.get(_generation_key(family))
        return int(value) if value is not None else _fresh_generation(_generation_key(family))
    if family not in known:
        others = (*SHARED_FAMILIES, *_request_user_families.get())
        wanted = [family, *(f for f in others if f not in known and f != family)]
        found = cache.get_many([_generation_key(f) for f in wanted])
        for name in wanted:
            value = found.get(_generation_key(name))
            known[name] = int(value) if value is not None else None
    current = known[family]
    if current is None:
        current = known[family] = _fresh_generation(_generation_key(family))
    return current


def _bump_now(family: str) -> None:
    key = _generation_key(family)
    try:
        cache.incr(key)
    except ValueError:  # missing: any new value is one no cached key uses
        cache.set(key, time.time_ns() // 1_000_000, timeout=None)
    known = _request_generations.get()
    if known is not None:
        known.pop(family, None)  # the rest of this request reads the new generation


def _request_begins(**kwargs: Any) -> None:
    _request_generations.set({})
    _request_user_families.set(())


def _request_ends(**kwargs: Any) -> None:
    _request_generations.set(None)
    _request_user_families.set(())


def request_user(user_id: int) -> None:
    """The request is that person's: their families come with the request's first read."""
    if _request_generations.get() is not None:
        _request_user_families.set(tuple(f"{f}:{user_id}" for f in PER_USER_FAMILIES))


def local_clear() -> None:
    """Forget the values this process keeps (the tests, with ``cache.clear()``)."""
    with _local_lock:
        _local.clear()


def _local_get(key: str) -> tuple[Any] | None:
    with _local_lock:
        entry = _local.get(key)
        if entry is None:
            return None
        expires, pickled = entry
        if expires < time.monotonic():
            del _local[key]
            return None
        _local.move_to_end(key)
    value: tuple[Any] = pickle.loads(pickled)  # noqa: S301 (our own values, never a client's)
    return value


def _local_set(key: str, wrapped: tuple[Any]) -> None:
    entry = (time.monotonic() + TIMEOUT, pickle.dumps(wrapped, pickle.HIGHEST_PROTOCOL))
    with _local_lock:
        _local[key] = entry
        _local.move_to_end(key)
        while len(_local) > LOCAL_VALUES:
            _local.popitem(last=False)


def bump(family: str) -> None:
    """The family changed: now for this request, and again once the transaction commits."""
    _bump_now(family)
    if _in_transaction():
        _dirty().add(family)
    transaction.on_commit(lambda: _bump_now(family))


def cached(family: str, name: str, compute: Callable[[], T]) -> T:
    """``compute()``'s value, cached under the family's current generation.

    ``None`` is cached too (wrapped), so "no brand" or "no text published" is not asked
    again on every request.
    """
    if _in_transaction():
        if family in _dirty():
            # This transaction changed the family: it reads its own writes, which are
            # neither in the cache yet nor to be put there (a rollback would undo them).
            return compute()
    else:
        _dirty().clear()
    key = f"{_PREFIX}:{family}:{generation(family)}:{name}"
    hit = _local_get(key)
    if hit is None:
        hit = cache.get(key)
        if isinstance(hit, tuple) and len(hit) == 1:
            _local_set(key, hit)
    if isinstance(hit, tuple) and len(hit) == 1:
        value: T = hit[0]
        return value
    value = compute()
    cache.set(key, (value,), timeout=TIMEOUT)
    _local_set(key, (value,))
    return value


def _in_transaction() -> bool:
    """Inside a transaction of the app's own (a test's wrapping one does not count)."""
    connection = transaction.get_connection()
    return connection.in_atomic_block and any(
        not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


def _dirty() -> set[str]:
    """Families the current transaction changed (kept on its connection)."""
    connection = transaction.get_connection()
    dirty: set[str] | None = getattr(connection, "_request_cache_dirty", None)
    if dirty is None:
        dirty = set()
        connection._request_cache_dirty = dirty
    return dirty


def catalogue_changed() -> None:
    """For writes the signals do not see (``bulk_create`` of a catalogue's rows)."""
    bump("catalogue")


def legal_changed() -> None:
    """For writes the signals do not see (``update()`` of legal texts)."""
    bump("legal")


# Receivers ------------------------------------------------------------------------------


def _family(family: str) -> Callable[..., None]:
    def receiver(sender: Any, **kwargs: Any) -> None:
        if kwargs.get("raw"):
            return  # loading fixtures
        bump(family)

    receiver.__name__ = f"bump_{family}"
    return receiver


def _per_user(family: str) -> Callable[..., None]:
    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        if kwargs.get("raw"):
            return
        bump(f"{family}:{instance.user_id}")

    receiver.__name__ = f"bump_{family}_per_user"
    return receiver


_RECEIVERS: list[tuple[str, Callable[..., None]]] = [
    ("organisation.Brand", _family("organisation")),
    ("organisation.Agency", _family("organisation")),
    ("organisation.Membership", _family("organisation")),
    ("announcements.Announcement", _family("announcements")),
    ("announcements.Dismissal", _per_user("dismissals")),
    ("quotes.LegalText", _family("legal")),
    ("visits.CatalogueVersion", _family("catalogue")),
    ("visits.Section", _family("catalogue")),
    ("visits.Question", _family("catalogue")),
    ("mfa.Authenticator", _per_user("mfa")),
]


def connect() -> None:
    """Connects the receivers (``NomadWebConfig.ready``)."""
    from django.apps import apps

    request_started.connect(_request_begins, dispatch_uid="request_cache:begins")
    request_finished.connect(_request_ends, dispatch_uid="request_cache:ends")

    for label, receiver in _RECEIVERS:
        sender = apps.get_model(label)
        uid = f"request_cache:{label}"
        post_save.connect(receiver, sender=sender, weak=False, dispatch_uid=uid)
        post_delete.connect(receiver, sender=sender, weak=False, dispatch_uid=uid)
    # People added to or removed from an agency through the M2M manager (user.agencies).
    m2m_changed.connect(
        _family("organisation"),
        sender=apps.get_model("organisation.Membership"),
        weak=False,
        dispatch_uid="request_cache:memberships",
    )
