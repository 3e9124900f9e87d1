"""Profile of one signed-in request: SQL queries, time per middleware and per context processor.

Pages: the advisor's agenda, a visit step (GET of the prospect and dwelling steps, POST of
the dwelling step) and the manager's dashboard, ~50 requests each with the Django test
client (one process, no network, the scratch SQLite database of ``_common``).

How the time is split:

* every entry of ``settings.MIDDLEWARE`` is replaced by a shim (``_Shim<n>`` below) that
  builds the real middleware around a timed ``get_response``: a middleware's time is its
  own time minus the inner chain's, plus its ``process_view`` hook if it has one;
* every context processor is replaced by a shim that times the call and, since several
  processors hand the template lazy values (``SimpleLazyObject``, callables), also the
  moment the template evaluates them;
* "view" is what the innermost middleware waited for, minus the ``process_view`` hooks:
  the view itself, template rendering included (context processors included too, so
  they are shown apart and subtracted).

Figures vary with the machine; nothing here asserts on a time.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from _common import django_setup, median, record

RUNS = 50

#: Seconds spent, per component, during the request being measured.
_spent: dict[str, float] = defaultdict(float)


def _short(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _make_middleware_shim(path: str) -> type:
    from django.utils.module_loading import import_string

    real_class = import_string(path)
    label = f"mw:{_short(path)}"

    class Shim:
        def __init__(self, get_response: Callable[[Any], Any]) -> None:
            self._inner = 0.0

            def timed_inner(request: Any) -> Any:
                start = time.perf_counter()
                try:
                    return get_response(request)
                finally:
                    self._inner += time.perf_counter() - start

            self.real = real_class(timed_inner)  # may raise MiddlewareNotUsed, as the real one
            for hook in ("process_view", "process_template_response", "process_exception"):
                if hasattr(self.real, hook):
                    setattr(self, hook, self._timed_hook(getattr(self.real, hook), hook))

        def _timed_hook(self, method: Callable[..., Any], hook: str) -> Callable[..., Any]:
            def timed(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return method(*args, **kwargs)
                finally:
                    elapsed = time.perf_counter() - start
                    _spent[label] += elapsed
                    if hook == "process_view":
                        _spent["hooks"] += elapsed  # inside the chain: not the view's time

            return timed

        def __call__(self, request: Any) -> Any:
            self._inner = 0.0
            start = time.perf_counter()
            try:
                return self.real(request)
            finally:
                total = time.perf_counter() - start
                _spent[label] += total - self._inner
                _spent["chain_inner_last"] = self._inner

    Shim.__name__ = Shim.__qualname__ = f"Shim_{_short(path)}"
    return Shim


def _make_processor_shim(path: str) -> Callable[[Any], dict[str, Any]]:
    from django.utils.functional import SimpleLazyObject, empty
    from django.utils.module_loading import import_string

    real = import_string(path)
    label = f"cp:{_short(path)}"

    def timed(func: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                _spent[label] += time.perf_counter() - start

        return call

    def processor(request: Any) -> dict[str, Any]:
        start = time.perf_counter()
        values = real(request)
        out = {}
        for key, value in values.items():
            lazy: Any = value  # the private attributes of SimpleLazyObject are not typed
            if isinstance(value, SimpleLazyObject) and lazy._wrapped is empty:
                value = SimpleLazyObject(timed(lazy._setupfunc))
            elif callable(value) and not isinstance(value, type) and key != "csrf_token":
                value = timed(value)
            out[key] = value
        _spent[label] += time.perf_counter() - start
        return out

    return processor


def _install_shims() -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Shim classes and functions on this module; settings that name them."""
    from django.conf import settings

    module = sys.modules[__name__]
    middleware = []
    for n, path in enumerate(settings.MIDDLEWARE):
        setattr(module, f"_Shim{n}", _make_middleware_shim(path))
        middleware.append(f"{__name__}._Shim{n}")
    templates: list[dict[str, Any]] = [dict(t) for t in settings.TEMPLATES]
    processors = list(templates[0]["OPTIONS"]["context_processors"])
    shimmed = []
    for n, path in enumerate(processors):
        setattr(module, f"_processor{n}", _make_processor_shim(path))
        shimmed.append(f"{__name__}._processor{n}")
    templates[0] = {**templates[0], "OPTIONS": {**templates[0]["OPTIONS"]}}
    templates[0]["OPTIONS"]["context_processors"] = shimmed
    labels = [f"mw:{_short(p)}" for p in settings.MIDDLEWARE]
    labels += [f"cp:{_short(p)}" for p in processors]
    return middleware, templates, labels


def _dwelling_post(visit: Any) -> dict[str, Any]:
    from visits.catalogue import catalogue_current

    visit.refresh_from_db()
    ids = [v.pk for a in visit.activities if (v := catalogue_current(activity=a))]
    return {
        "base_version": visit.version,
        "catalogue_versions": ids,
        "dwelling_type": "flat",
        "surface_m2": "70",
        "levels": "1",
        "cluttered": "no",
    }


def main() -> None:
    django_setup()
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from nomad_web.demo import demo_seed
    from organisation.models import User
    from visits.models import Prospect, Visit, VisitStatus

    demo_seed()
    advisor = User.objects.get(email="conseiller@demo.test")
    manager = User.objects.get(email="manager@demo.test")
    visit = (
        Visit.objects.filter(
            advisor=advisor, status__in=[VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS]
        )
        .order_by("pk")
        .first()
    )
    assert visit is not None, "the demo has no open visit for the advisor"
    if visit.prospect.consent_at is None:
        # The demo's prospects have not consented yet; the dwelling step needs it. Done on
        # the scratch copy, as the prospect step would have recorded it.
        Prospect.objects.filter(pk=visit.prospect_id).update(consent_at=timezone.now())
    step = f"/visites/{visit.pk}/etapes/"

    middleware, templates, labels = _install_shims()
    with override_settings(MIDDLEWARE=middleware, TEMPLATES=templates):
        as_advisor, as_manager = Client(), Client()
        as_advisor.force_login(advisor)
        as_manager.force_login(manager)
        pages: dict[str, tuple[Client, str, str, int]] = {
            "agenda": (as_advisor, "get", "/agenda/", 200),
            "step GET (prospect)": (as_advisor, "get", step + "prospect/", 200),
            "step GET (dwelling)": (as_advisor, "get", step + "dwelling/", 200),
            "step POST (dwelling)": (as_advisor, "post", step + "dwelling/", 303),
            "dashboard": (as_manager, "get", "/tableau-de-bord/", 200),
        }
        profiles: dict[str, dict[str, list[float]]] = {}
        for label, (client, method, url, expected) in pages.items():
            figures: dict[str, list[float]] = defaultdict(list)
            for i in range(RUNS + 1):  # the first one warms templates and connections
                data = _dwelling_post(visit) if method == "post" else None
                _spent.clear()
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    response = getattr(client, method)(url, data)
                    total = time.perf_counter() - start
                assert response.status_code == expected, (url, response.status_code)
                if i == 0:
                    print(f"\nSQL of one {label} request ({len(queries)} queries):")
                    for q in queries.captured_queries:
                        print("   ", q["sql"][:160])
                    continue
                processors = sum(v for k, v in _spent.items() if k.startswith("cp:"))
                view = _spent["chain_inner_last"] - _spent["hooks"] - processors
                figures["queries"].append(len(queries))
                figures["total"].append(total * 1000)
                figures["view (less context processors)"].append(view * 1000)
                for name in labels:
                    figures[name].append(_spent[name] * 1000)
            profiles[label] = figures

    names = list(pages)
    width = max(len(n) for n in labels) + 2
    print("\nMedians over", RUNS, "requests (ms, except queries)")
    print("".ljust(width) + "".join(n[:20].rjust(22) for n in names))
    rows = ["queries", "total", "view (less context processors)", *labels]
    for row in rows:
        cells = []
        for name in names:
            value = median(profiles[name][row])
            cells.append((f"{value:.0f}" if row == "queries" else f"{value:.3f}").rjust(22))
        print(row.ljust(width) + "".join(cells))
    middleware_sum = {n: [0.0] * RUNS for n in names}
    processor_sum = {n: [0.0] * RUNS for n in names}
    for name in names:
        for row in labels:
            target = middleware_sum if row.startswith("mw:") else processor_sum
            for i, value in enumerate(profiles[name][row]):
                target[name][i] += value
    print(
        "all middleware".ljust(width)
        + "".join(f"{median(middleware_sum[n]):.3f}".rjust(22) for n in names)
    )
    print(
        "all context processors".ljust(width)
        + "".join(f"{median(processor_sum[n]):.3f}".rjust(22) for n in names)
    )
    print()
    for name in names:
        record(f"profile.{name}.queries", median(profiles[name]["queries"]), "queries")
        record(f"profile.{name}.total.median", median(profiles[name]["total"]), "ms")
        record(f"profile.{name}.middleware.median", median(middleware_sum[name]), "ms")
        record(f"profile.{name}.context processors.median", median(processor_sum[name]), "ms")


if __name__ == "__main__":
    main()
