"""Every URL of the project, for every role, for one's own agency and for another one.

The URL resolver is walked at test time: a URL that nobody classified in ``URLS`` or
``PREFIXES`` below fails ``test_it_classifies_every_url`` with its route named. To add a
URL, add one entry to ``URLS`` keyed by its full route (as printed by that failure).

Expected answers: 200, 302 (a redirect elsewhere than the login page), LOGIN (302 to the
login page), 403, 404, 405. Staff have TOTP set up, so the two-factor detour is not in
the way. Objects are built by ``make(agency)``: once in the person's own agency
(``own``), once in another agency of the same brand (``sibling``) and once in an agency of
another brand (``other``); ``Case.other`` is the answer for both foreign ones.

Three more columns (security issue 17):

* every GET entry again as htmx (``HX-Request``), JSON (``Accept``) and the offline
  replay (``X-Nomad-Sync: 1``): ``test_each_variant_answers_as_classified``;
* foreign object ids in the body or the query of one's own URL: ``BODY_CASES``, one test
  id per case and kind of foreign agency, each checking the answer and that the foreign
  object is unchanged; ``test_every_posted_url_has_a_body_id_case`` keeps it complete;
* the figures (``pytest -q tests/test_url_matrix.py -s``): ``test_matrix_figures``.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from announcements.models import Announcement
from nomad_web.http import SYNC_HEADER
from organisation.models import Agency, Role, User
from quotes.documents import document_render
from quotes.models import Contract, DocumentKind, Quote
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.models import PaperCopyTask, Provider, SignatureRequest, SignatureStatus
from tests.factories import (
    AgencyFactory,
    UserFactory,
    VisitFactory,
    make_price_list,
    make_visit_ready_to_quote,
)
from visits.models import Conflict, Prospect, Submission, Visit
from visits.offline_plan import TEMPLATE_VISIT
from visits.submissions import submission_hash

LOGIN = "login"
ROLES = ("anonymous", "advisor", "manager", "staff")
Expect = int | str


def _everyone(answer: Expect) -> dict[str, Expect]:
    return dict.fromkeys(ROLES, answer)


def _signed_in(answer: Expect) -> dict[str, Expect]:
    return {"anonymous": LOGIN, "advisor": answer, "manager": answer, "staff": answer}


@dataclass(frozen=True)
class Case:
    own: dict[str, Expect]
    #: Answers for an object of another agency; only for routes that take an object.
    other: dict[str, Expect] = field(default_factory=dict)
    make: Callable[[Agency], dict[str, Any]] | None = None
    #: When "another agency" means something else for this route (see announcements).
    make_other: Callable[[Agency], dict[str, Any]] | None = None
    method: str = "get"
    #: For regular-expression routes and prefixes: the path to request.
    path: str = ""


def _brand_with_a_logo(agency: Agency) -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    agency.brand.logo.save("logo.png", ContentFile(out.getvalue()))
    return {"slug": agency.brand.slug}


def _visit(agency: Agency) -> dict[str, Any]:
    return {"pk": VisitFactory(prospect__agency=agency).pk}


def _conflict(agency: Agency) -> dict[str, Any]:
    visit = VisitFactory(prospect__agency=agency)
    conflict = Conflict.objects.create(
        visit=visit,
        step="instructions",
        base_version=1,
        server_version=2,
        mine={"answers.priorities": "a"},
        theirs={"answers.priorities": "b"},
        conflicting_keys=["answers.priorities"],
    )
    return {"pk": conflict.pk}


def _quote(agency: Agency, *, issued: bool = False, contract: bool = False) -> dict[str, Any]:
    make_price_list(agency.brand)
    quote = quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None)
    if issued or contract:
        quote = quote_issue(quote=quote)
    if contract:
        contract_create(quote=quote, user=None, early_start_requested=False)
    return {"pk": quote.pk}


def _contract(agency: Agency) -> dict[str, Any]:
    quote = Quote.objects.get(pk=_quote(agency, contract=True)["pk"])
    return {"pk": quote.contract.pk}


def _visit_with_contract(agency: Agency) -> dict[str, Any]:
    return {"pk": Quote.objects.get(pk=_quote(agency, contract=True)["pk"]).visit_id}


def _announcement_meant_for_them(agency: Agency) -> dict[str, Any]:
    # Announcements target roles, not agencies: "own" is one meant for the person.
    return {"pk": Announcement.objects.create(title="A", body="B", for_staff=True).pk}


def _announcement_for_nobody(agency: Agency) -> dict[str, Any]:
    return {
        "pk": Announcement.objects.create(
            title="A", body="B", for_advisors=False, for_managers=False, for_staff=False
        ).pk
    }


def _remote_signature(agency: Agency) -> dict[str, Any]:
    # Expired: reminding or cancelling it is refused before any call to Yousign.
    quote = Quote.objects.get(pk=_quote(agency, contract=True)["pk"])
    request = SignatureRequest.objects.create(
        contract=quote.contract,
        provider=Provider.YOUSIGN,
        status=SignatureStatus.EXPIRED,
        signer_first_name="Marie",
        signer_last_name="Client",
        signer_email="marie@example.test",
        document_hash="0" * 64,
        external_id="sr-test",
    )
    return {"pk": request.pk}


def _paper_copy(agency: Agency) -> dict[str, Any]:
    quote = Quote.objects.get(pk=_quote(agency, contract=True)["pk"])
    request = SignatureRequest.objects.create(
        contract=quote.contract,
        provider=Provider.ONSITE,
        status=SignatureStatus.SIGNED,
        signer_first_name="Marie",
        signer_last_name="Client",
        document_hash="0" * 64,
    )
    task = PaperCopyTask.objects.create(contract=quote.contract, signature=request, reason="—")
    return {"pk": task.pk}


# One entry per route of our own; keyed by the full route.
URLS: dict[str, Case] = {
    "": Case(own={"anonymous": LOGIN, "advisor": 302, "manager": 302, "staff": 302}),
    "healthz": Case(own=_everyone(200)),
    "healthz/live": Case(own=_everyone(200)),
    "healthz/ready": Case(own=_everyone(200)),
    # Open outside production when METRICS_TOKEN is unset (its token: test_observability).
    "metrics": Case(own=_everyone(200)),
    "^manifest\\.json$": Case(own=_everyone(200), path="/manifest.json"),
    "marque/<slug:slug>/theme.css": Case(
        # The brand's colours are public: the login page of a brand needs them too.
        own=_everyone(200),
        other=_everyone(200),
        make=lambda agency: {"slug": agency.brand.slug},
    ),
    "i18n/setlang/": Case(own=_everyone(302), method="post"),
    "nouveautes/": Case(own=_signed_in(200)),
    "nouveautes/<int:pk>/lu/": Case(
        own=_signed_in(302),
        other=_signed_in(404),
        make=_announcement_meant_for_them,
        make_other=_announcement_for_nobody,
        method="post",
    ),
    "agenda/": Case(own=_signed_in(200)),
    "visites/<visit:pk>/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_visit,
    ),
    "visites/nouvelle/": Case(
        # Walk-in visits belong to an agency's people; staff work from the admin.
        own={"anonymous": LOGIN, "advisor": 200, "manager": 200, "staff": 403},
    ),
    "visites/<visit:pk>/affecter/": Case(
        # Assigning is the manager's (visit page and visit list); an empty form sends back
        # to the visit, or to the list it came from, with an error.
        own={"anonymous": LOGIN, "advisor": 403, "manager": 302, "staff": 302},
        other={"anonymous": LOGIN, "advisor": 403, "manager": 404, "staff": 302},
        make=_visit,
        method="post",
    ),
    "visites/<visit:pk>/statut/": Case(
        own=_signed_in(302),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 302},
        make=_visit,
        method="post",
    ),
    "visites/<visit:pk>/donnees.json": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_visit,
    ),
    "visites/<visit:pk>/vente/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_visit,
    ),
    "visites/<visit:pk>/vente/devis/": Case(
        # An outbox write without its submission id is refused (400), changing nothing.
        own=_signed_in(400),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 400},
        make=_visit,
        method="post",
    ),
    "visites/<visit:pk>/vente/contrat/": Case(
        # An outbox write without its submission id is refused (400), changing nothing.
        own=_signed_in(400),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 400},
        make=_visit,
        method="post",
    ),
    "visites/<visit:pk>/vente/signature/": Case(
        # An outbox write without its submission id is refused (400), changing nothing.
        own=_signed_in(400),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 400},
        make=_visit,
        method="post",
    ),
    # A person's data (export, erasure): managers of the agency and staff.
    "visites/<visit:pk>/donnees-personnelles/": Case(
        own={"anonymous": LOGIN, "advisor": 403, "manager": 200, "staff": 200},
        other={"anonymous": LOGIN, "advisor": 403, "manager": 404, "staff": 200},
        make=_visit,
    ),
    "visites/<visit:pk>/donnees-personnelles/export.zip": Case(
        own={"anonymous": LOGIN, "advisor": 403, "manager": 200, "staff": 200},
        other={"anonymous": LOGIN, "advisor": 403, "manager": 404, "staff": 200},
        make=_visit,
    ),
    "visites/<visit:pk>/donnees-personnelles/effacer/": Case(
        # An empty form (no reason, no confirmation) erases nothing: 422.
        own={"anonymous": LOGIN, "advisor": 403, "manager": 422, "staff": 422},
        other={"anonymous": LOGIN, "advisor": 403, "manager": 404, "staff": 422},
        make=_visit,
        method="post",
    ),
    "conflits/": Case(own=_signed_in(200)),
    "hors-ligne/conflits-resolus/": Case(own=_signed_in(200)),
    "hors-ligne/en-attente/": Case(own=_signed_in(200)),
    "conflits/<int:pk>/": Case(
        # An advisor resolves the conflicts of their own visits (this one is nobody's).
        own={"anonymous": LOGIN, "advisor": 403, "manager": 200, "staff": 200},
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_conflict,
    ),
    # The offline machinery: the worker and the fallback page hold no personal data.
    "sw.js": Case(own=_everyone(200)),
    "hors-ligne/": Case(own=_everyone(200)),
    "hors-ligne/jeton/": Case(own=_signed_in(200)),
    "hors-ligne/preparation/": Case(own=_signed_in(200)),
    # App icons are public, like the brand's colours.
    "marque/<slug:slug>/icone-<int:size>.png": Case(
        own=_everyone(200),
        other=_everyone(200),
        make=lambda agency: {"slug": agency.brand.slug, "size": 192},
    ),
    "marque/<slug:slug>/logo": Case(
        own=_everyone(200), other=_everyone(200), make=_brand_with_a_logo
    ),
    "icone-<int:size>.png": Case(own=_everyone(200), path="/icone-512.png"),
    # Signatures: starting one goes to the agency's provider (here the tablet page).
    "signatures/contrats/<int:pk>/signer/": Case(
        own=_signed_in(302),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 302},
        make=_contract,
        method="post",
    ),
    "signatures/contrats/<int:pk>/tablette/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_contract,
    ),
    # Nothing signed yet: no signed document to give (404), in any agency.
    "signatures/contrats/<int:pk>/documents/<slug:kind>/": Case(
        own={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 404},
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 404},
        make=lambda agency: {**_contract(agency), "kind": "signed_contract"},
    ),
    "visites/<visit:pk>/etapes/<slug:step>/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=lambda agency: {**_visit(agency), "step": "prospect"},
    ),
    # Quotes: a quote's agency is its visit's. A visit without a confirmed estimate
    # answers 422 (a clear error, nothing made); a draft cannot be revised (422).
    "visites/<visit:pk>/devis/": Case(
        own=_signed_in(422),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 422},
        make=_visit,
        method="post",
    ),
    "devis/<int:pk>/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_quote,
    ),
    "devis/<int:pk>/emettre/": Case(
        own=_signed_in(303),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 303},
        make=_quote,
        method="post",
    ),
    "devis/<int:pk>/reviser/": Case(
        own=_signed_in(422),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 422},
        make=_quote,
        method="post",
    ),
    "devis/<int:pk>/pdf/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=lambda agency: _quote(agency, issued=True),
    ),
    "devis/<int:pk>/contrat/": Case(
        own=_signed_in(303),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 303},
        make=lambda agency: _quote(agency, issued=True),
        method="post",
    ),
    "devis/<int:pk>/contrat/pdf/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=lambda agency: _quote(agency, contract=True),
    ),
    # The mission sheet (access codes inside): the visit's agency, once a contract exists.
    "visites/<visit:pk>/feuille-de-route/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_visit_with_contract,
    ),
    "visites/<visit:pk>/feuille-de-route/pdf/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_visit_with_contract,
    ),
    # Dashboard: managers (their agencies) and staff (all); advisors have none.
    "tableau-de-bord/": Case(
        own={"anonymous": LOGIN, "advisor": 403, "manager": 200, "staff": 200}
    ),
    "tableau-de-bord/visites/": Case(
        own={"anonymous": LOGIN, "advisor": 403, "manager": 200, "staff": 200}
    ),
    "tableau-de-bord/visites/export.csv": Case(
        own={"anonymous": LOGIN, "advisor": 403, "manager": 200, "staff": 200}
    ),
    "tableau-de-bord/copies-papier/": Case(
        own={"anonymous": LOGIN, "advisor": 403, "manager": 200, "staff": 200}
    ),
    "tableau-de-bord/copies-papier/<int:pk>/remise/": Case(
        # No date: back to the list with an error; another agency's task is 404.
        own={"anonymous": LOGIN, "advisor": 403, "manager": 302, "staff": 302},
        other={"anonymous": LOGIN, "advisor": 403, "manager": 404, "staff": 302},
        make=_paper_copy,
        method="post",
    ),
    # Remote signature: Yousign's webhook is public and answers 403 without its HMAC.
    "signatures/yousign/webhook/": Case(own=_everyone(403), method="post"),
    "signatures/a-distance/<int:pk>/": Case(
        own=_signed_in(200),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 200},
        make=_remote_signature,
    ),
    "signatures/a-distance/<int:pk>/relancer/": Case(
        own=_signed_in(303),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 303},
        make=_remote_signature,
        method="post",
    ),
    "signatures/a-distance/<int:pk>/annuler/": Case(
        own=_signed_in(303),
        other={"anonymous": LOGIN, "advisor": 404, "manager": 404, "staff": 303},
        make=_remote_signature,
        method="post",
    ),
}

# Third-party URL sets, classified as a whole; ``path`` is the one requested.
PREFIXES: dict[str, Case] = {
    # Django's admin: staff only; everyone else is sent to a login page.
    "admin/": Case(
        own={"anonymous": 302, "advisor": 302, "manager": 302, "staff": 200}, path="/admin/"
    ),
    # allauth: the login page is public; a signed-in person is sent on to their home.
    "accounts/": Case(
        own={"anonymous": 200, "advisor": 302, "manager": 302, "staff": 302},
        path="/accounts/login/",
    ),
    # mozilla-django-oidc: absent (404) while SSO is not configured, as in this test;
    # their behaviour with SSO on is tested in tests/test_oidc.py.
    "oidc/": Case(own=_everyone(404), path="/oidc/authenticate/"),
}


@pytest.fixture(scope="module")
def _one_client() -> Client:
    return Client()


@pytest.fixture
def client(_one_client: Client) -> Iterator[Client]:
    """One test client for the module, signed out before each test: a new client loads
    the middleware again (WhiteNoise scans every static file), which made most of the
    time of a request here."""
    _one_client.cookies.clear()
    yield _one_client
    _one_client.cookies.clear()


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_it_classifies_every_url() -> None:
    routes = list(_routes(get_resolver().url_patterns))
    assert "visites/<visit:pk>/" in routes  # the walk does reach included URL sets
    unclassified = [
        route
        for route in routes
        if route not in URLS and not any(route.startswith(prefix) for prefix in PREFIXES)
    ]
    assert unclassified == [], f"Classify these URLs in tests/test_url_matrix.py: {unclassified}"
    stale = [route for route in URLS if route not in routes]
    assert stale == [], f"Classified URLs that no longer exist: {stale}"


def _path(route: str, case: Case, kwargs: dict[str, Any]) -> str:
    if case.path:
        return case.path
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route)


def _person(role: str, agency: Agency) -> User | None:
    if role == "anonymous":
        return None
    if role == "staff":
        user = UserFactory(role=Role.STAFF)
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        return user
    return UserFactory(role=role, agencies=[agency])


def _check(client: Client, method: str, path: str, expected: Expect) -> None:
    response = getattr(client, method)(path)
    where = f"{method.upper()} {path}"
    if expected == LOGIN:
        assert response.status_code == 302, f"{where}: {response.status_code}"
        assert response["Location"].startswith(reverse("account_login")), where
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}"
        if expected == 302:
            assert not response["Location"].startswith(reverse("account_login")), where


#: The object's agency: the person's, another of the same brand, one of another brand.
#: ``Case.other`` holds for both foreign ones.
SCOPES = ("own", "sibling", "other")


def _foreign_agency(agency: Agency, scope: str) -> Agency:
    return AgencyFactory(brand=agency.brand) if scope == "sibling" else AgencyFactory()


_CASES = [
    pytest.param(route, role, scope, id=f"{route or '/'}-{role}-{scope}")
    for table in (URLS, PREFIXES)
    for route, case in table.items()
    for role in ROLES
    for scope in (SCOPES if case.make else ("own",))
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "role", "scope"), _CASES)
def test_it_answers_as_classified(client: Client, route: str, role: str, scope: str) -> None:
    case = URLS.get(route) or PREFIXES[route]
    agency = AgencyFactory()
    user = _person(role, agency)
    if user is not None:
        client.force_login(user)
    kwargs: dict[str, Any] = {}
    if case.make and scope == "own":
        kwargs = case.make(agency)
    elif case.make:
        kwargs = (case.make_other or case.make)(_foreign_agency(agency, scope))
    expected = case.own[role] if scope == "own" else case.other[role]
    _check(client, case.method, _path(route, case, kwargs), expected)


# --- Variants: every GET page again as htmx, as JSON, as the offline queue asks -----------
#
# The refusals above must hold whatever the page is asked for as: an htmx fragment, JSON,
# or the offline replay (``X-Nomad-Sync: 1``, which answers 401 where others get the login
# page). A refusal never carries the object's personal data, and an anonymous request
# never gets any, whatever its status.

VARIANTS: dict[str, dict[str, str]] = {
    "htmx": {"HX-Request": "true"},
    "json": {"Accept": "application/json"},
    "sync": {SYNC_HEADER: "1"},
}
REFUSALS = {LOGIN, 401, 403, 404, 405}


def _variant_expect(expected: Expect, variant: str) -> Expect:
    # The offline queue never gets a redirect to the login page: 401, nothing processed.
    if variant == "sync" and expected == LOGIN:
        return 401
    return expected


@dataclass
class Shared:
    """What the variant tests read, made once for the module (GETs change nothing of it)."""

    people: dict[tuple[str, str], User | None] = field(default_factory=dict)
    kwargs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: Personal data of each route's objects: never in a refusal nor an anonymous answer.
    secrets: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: Every person's name made for the module: none in an anonymous answer.
    everyone: re.Pattern[str] = re.compile("(?!)")


@dataclass
class Tally:
    requests: int = 0
    refusals: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, refusal: bool, unchanged: int = 0) -> None:
        self.requests += 1
        self.refusals += int(refusal)
        self.unchanged += unchanged
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


TALLY = Tally()

_GET_ROUTES = [
    route for table in (URLS, PREFIXES) for route, case in table.items() if case.method == "get"
]


def _render_once(kind: str) -> Callable[[dict[str, Any]], None]:
    def warm(kwargs: dict[str, Any]) -> None:
        document_render(quote=Quote.objects.get(pk=kwargs["pk"]), kind=kind)

    return warm


# Documents the task makes after the commit: made once here, not at every request.
WARM: dict[str, Callable[[dict[str, Any]], None]] = {
    "devis/<int:pk>/pdf/": _render_once(DocumentKind.QUOTE),
    "devis/<int:pk>/contrat/pdf/": _render_once(DocumentKind.CONTRACT),
}

#: Where a variant is answered otherwise than the plain page, and why.
VARIANT_EXPECT: dict[tuple[str, str], dict[str, Expect]] = {
    # allauth answers its AJAX requests with JSON: a signed-in person gets 200
    # ``{"location": "/"}`` (the redirect, as data); the anonymous, the empty login form.
    ("accounts/", "json"): _everyone(200),
}


def _agency_secrets(agency: Agency) -> list[str]:
    return list(Prospect.objects.filter(agency=agency).values_list("last_name", flat=True))


def _agency_secrets_all() -> list[str]:
    return list(Prospect.objects.values_list("last_name", flat=True))


@pytest.fixture(scope="module")
def shared(django_db_setup: None, django_db_blocker: Any) -> Iterator[Shared]:
    """Each GET route's objects and people, built once inside a transaction rolled back
    at the end of the module; each test runs in its own savepoint within it."""
    with django_db_blocker.unblock(), transaction.atomic():
        data = Shared()
        staff = _person("staff", AgencyFactory())
        for route in _GET_ROUTES:
            case = URLS.get(route) or PREFIXES[route]
            own = AgencyFactory()
            foreign = {scope: _foreign_agency(own, scope) for scope in SCOPES[1:]}
            data.people[(route, "anonymous")] = None
            data.people[(route, "advisor")] = _person("advisor", own)
            data.people[(route, "manager")] = _person("manager", own)
            data.people[(route, "staff")] = staff
            data.kwargs[(route, "own")] = case.make(own) if case.make else {}
            data.secrets[(route, "own")] = _agency_secrets(own)
            for scope, agency in foreign.items():
                if case.make:
                    data.kwargs[(route, scope)] = (case.make_other or case.make)(agency)
                data.secrets[(route, scope)] = _agency_secrets(agency)
            for scope in SCOPES if case.make else ("own",):
                if route in WARM:
                    WARM[route](data.kwargs[(route, scope)])
        data.everyone = re.compile(
            "|".join(rf"\b{re.escape(name)}\b" for name in _agency_secrets_all()) or "(?!)"
        )
        yield data
        transaction.set_rollback(True)


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _check_variant(
    response: Any,
    where: str,
    expected: Expect,
    secrets: list[str],
    *,
    anonymous: re.Pattern[str] | None,
) -> None:
    if expected == LOGIN:
        assert response.status_code == 302, f"{where}: {response.status_code}"
        assert response["Location"].startswith(reverse("account_login")), where
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}"
        if expected == 302:
            assert not response["Location"].startswith(reverse("account_login")), where
    if expected in REFUSALS or anonymous is not None:
        body = _body(response).decode(errors="replace")
        leaked = [s for s in secrets if re.search(rf"\b{re.escape(s)}\b", body)]
        if anonymous is not None:
            leaked += anonymous.findall(body)
        assert leaked == [], f"{where}: personal data in the answer: {leaked}"


_VARIANT_CASES = [
    pytest.param(route, role, scope, variant, id=f"{route or '/'}-{role}-{scope}-{variant}")
    for route in _GET_ROUTES
    for role in ROLES
    for scope in (SCOPES if (URLS.get(route) or PREFIXES[route]).make else ("own",))
    for variant in VARIANTS
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "role", "scope", "variant"), _VARIANT_CASES)
def test_each_variant_answers_as_classified(
    client: Client, shared: Shared, route: str, role: str, scope: str, variant: str
) -> None:
    case = URLS.get(route) or PREFIXES[route]
    user = shared.people[(route, role)]
    if user is not None:
        client.force_login(user)
    path = _path(route, case, shared.kwargs[(route, scope)])
    plain = case.own[role] if scope == "own" else case.other[role]
    expected = VARIANT_EXPECT.get((route, variant), {}).get(role) or _variant_expect(plain, variant)
    response = client.get(path, headers=VARIANTS[variant])
    # A refusal: nothing of the objects asked for; an anonymous answer: nobody's name.
    secrets = shared.secrets[(route, scope)]
    _check_variant(
        response,
        f"GET {path} [{variant}]",
        expected,
        secrets,
        anonymous=shared.everyone if role == "anonymous" else None,
    )
    TALLY.count(variant, refusal=expected in REFUSALS)


# --- Object ids in the body: one's own URL, another agency's or brand's id in the form ------
#
# Each case posts (or asks) on the person's own URL, with the id of a foreign object in
# the body or the query string: the answer must be a refusal (a 4xx, or the form sent back
# with an error, or the own object handled and the foreign id ignored) and the foreign
# object must be unchanged in the database, and absent from the answer.

FOREIGN = ("sibling", "brand")  # another agency of the same brand; an agency of another brand


@dataclass
class World:
    """The person's agency, its people and a foreign agency (of ``FOREIGN``)."""

    agency: Agency
    foreign: Agency
    advisor: User
    manager: User
    staff: User
    foreign_advisor: User

    def user(self, role: str) -> User:
        return {"advisor": self.advisor, "manager": self.manager, "staff": self.staff}[role]


@dataclass(frozen=True)
class BodyCase:
    url_name: str
    role: str
    #: The person's own URL: its kwargs (``world`` -> reverse kwargs).
    own: Callable[[World], dict[str, Any]]
    #: The foreign object whose id is sent.
    foreign: Callable[[World], Any]
    #: The body (POST) or the query (GET) carrying the foreign object's id.
    body: Callable[[World, Any], dict[str, Any]]
    #: The answers that count as a refusal for this case.
    refused: tuple[int, ...]
    #: What must not change (default: the foreign object's row).
    unchanged: Callable[[World, Any], Any] | None = None
    #: Text that must not be in the answer (default: none).
    secret: Callable[[World, Any], str] | None = None
    method: str = "post"
    headers: dict[str, str] = field(default_factory=dict)
    #: A path instead of ``reverse(url_name, kwargs=own)`` (the blank visit's pages).
    path: Callable[[World], str] | None = None
    #: A known gap in the application (reported, not fixed here): the case is a strict
    #: xfail, so that it fails the day the gap is closed and the mark is to be removed.
    gap: str = ""


def _row(obj: Any) -> dict[str, Any]:
    return dict(type(obj).objects.filter(pk=obj.pk).values().get())


def _walk_in(agency_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "first_name": "Paul",
        "last_name": "Walkin",
        "address": "3 rue Neuve",
        "postal_code": "44000",
        "city": "Nantes",
        "scheduled_at": "2026-12-02T10:00",
        "activities": "housekeeping",
        "agency": agency_id,
        "client_uuid": str(uuid.uuid4()),
        **extra,
    }


def _foreign_visit(world: World) -> Any:
    return VisitFactory(prospect__agency=world.foreign, advisor=world.foreign_advisor)


def _own_visit(world: World) -> dict[str, Any]:
    return {"pk": VisitFactory(prospect__agency=world.agency).pk}


def _prospect_name(world: World, visit: Any) -> str:
    return str(visit.prospect.last_name)


def _foreign_advisor_load(world: World, advisor: User) -> Any:
    # Nothing given to the foreign advisor, and nothing of the agency's reassigned. Ordered
    # by key: the snapshots before and after are compared, and a bare query's row order is
    # not stable on PostgreSQL (an UPDATE moves a row).
    return (
        list(Visit.objects.filter(advisor=advisor).order_by("pk").values_list("pk", flat=True)),
        list(
            Visit.objects.filter(agency=world.agency).order_by("pk").values_list("pk", "advisor_id")
        ),
    )


def _foreign_agency_visits(world: World, agency: Agency) -> Any:
    return (
        Visit.objects.filter(agency=agency).count(),
        Prospect.objects.filter(agency=agency).count(),
    )


def _foreign_submission(world: World) -> Any:
    # An answer stored for a write on a foreign visit; the case posts the very same body.
    visit = _foreign_visit(world)
    return Submission.objects.create(
        client_uuid=uuid.uuid4(),
        visit=visit,
        body_hash="",  # set by the body builder, so only the visit tells them apart
        status_code=200,
        response={"status": 200, "secret": visit.prospect.last_name},
    )


def _replay(extra: dict[str, Any]) -> Callable[[World, Any], dict[str, Any]]:
    def body(world: World, submission: Any) -> dict[str, Any]:
        data = {"submission_id": str(submission.client_uuid), **extra}
        query = QueryDict(mutable=True)
        for key, value in data.items():
            query[key] = str(value)
        Submission.objects.filter(pk=submission.pk).update(body_hash=submission_hash(query))
        return data

    return body


def _submission_secret(world: World, submission: Any) -> str:
    return str(submission.response["secret"])


def _own_sale_visit(world: World) -> dict[str, Any]:
    make_price_list(world.agency.brand)
    return {"pk": make_visit_ready_to_quote(world.agency).pk}


def _foreign_price_list(world: World) -> Any:
    # Of the sibling agency (same brand), or of the other brand.
    if world.foreign.brand_id == world.agency.brand_id:
        return make_price_list(world.foreign.brand, agency=world.foreign)
    return make_price_list(world.foreign.brand)


def _foreign_quote(world: World) -> Any:
    quote = Quote.objects.get(pk=_quote(world.foreign, issued=True)["pk"])
    Quote.objects.filter(pk=quote.pk).update(client_uuid=uuid.uuid4())
    return Quote.objects.get(pk=quote.pk)


def _foreign_contract(world: World) -> Any:
    quote = Quote.objects.get(pk=_quote(world.foreign, contract=True)["pk"])
    Contract.objects.filter(pk=quote.contract.pk).update(client_uuid=uuid.uuid4())
    return Contract.objects.get(pk=quote.contract.pk)


def _own_conflict(world: World) -> dict[str, Any]:
    return _conflict(world.agency)


def _foreign_conflict(world: World) -> Any:
    return Conflict.objects.get(pk=_conflict(world.foreign)["pk"])


def _resolved_foreign_conflict(world: World) -> Any:
    conflict = _foreign_conflict(world)
    Conflict.objects.filter(pk=conflict.pk).update(
        client_uuid=uuid.uuid4(), resolved_at=timezone.now()
    )
    return Conflict.objects.get(pk=conflict.pk)


def _own_paper_copy(world: World) -> dict[str, Any]:
    return _paper_copy(world.agency)


def _foreign_paper_copy(world: World) -> Any:
    return PaperCopyTask.objects.get(pk=_paper_copy(world.foreign)["pk"])


def _blank_visit_path(name: str, *args: str) -> Callable[[World], str]:
    def path(world: World) -> str:
        return reverse(name, args=[TEMPLATE_VISIT, *args])

    return path


def _agency_name(world: World, agency: Agency) -> str:
    return str(agency.name)


def _own_contract_of(world: World) -> Contract:
    # One per world: the own visit's contract, with the id its tablet gave it.
    contract = Contract.objects.filter(quote__visit__agency=world.agency).first()
    if contract is None:
        quote = Quote.objects.get(pk=_quote(world.agency, contract=True)["pk"])
        Contract.objects.filter(pk=quote.contract.pk).update(client_uuid=uuid.uuid4())
        contract = Contract.objects.get(pk=quote.contract.pk)
    return contract


def _own_signing_visit(world: World) -> dict[str, Any]:
    return {"pk": _own_contract_of(world).quote.visit_id}


def _foreign_signature(world: World) -> Any:
    return SignatureRequest.objects.create(
        contract=_foreign_contract(world),
        provider=Provider.ONSITE,
        status=SignatureStatus.SIGNED,
        signer_first_name="Marie",
        signer_last_name="Client",
        document_hash="0" * 64,
        client_uuid=uuid.uuid4(),
    )


# A submission id equal to a foreign quote's / contract's / signature's client_uuid, with
# no stored Submission under it, is answered 200 with that object (its id, its number)
# and that answer is stored as the own visit's.
_SALE = {"model": "{}", "document_sha256": "0" * 64}
_SYNC = {SYNC_HEADER: "1"}
_WALK_IN_REFUSED = (422,)

BODY_CASES: dict[str, BodyCase] = {
    # Walk-in visit: the agency and the advisor are choices of the person's own.
    "walk-in-agency-advisor": BodyCase(
        "visits:visit_create",
        "advisor",
        own=lambda w: {},
        foreign=lambda w: w.foreign,
        body=lambda w, agency: _walk_in(agency.pk),
        refused=_WALK_IN_REFUSED,
        unchanged=_foreign_agency_visits,
    ),
    "walk-in-agency-advisor-sync": BodyCase(
        "visits:visit_create",
        "advisor",
        own=lambda w: {},
        foreign=lambda w: w.foreign,
        body=lambda w, agency: _walk_in(agency.pk),
        refused=_WALK_IN_REFUSED,
        unchanged=_foreign_agency_visits,
        headers=_SYNC,
    ),
    "walk-in-agency-manager": BodyCase(
        "visits:visit_create",
        "manager",
        own=lambda w: {},
        foreign=lambda w: w.foreign,
        body=lambda w, agency: _walk_in(agency.pk),
        refused=_WALK_IN_REFUSED,
        unchanged=_foreign_agency_visits,
    ),
    "walk-in-advisor-field": BodyCase(
        "visits:visit_create",
        "manager",
        own=lambda w: {},
        foreign=lambda w: w.foreign_advisor,
        body=lambda w, advisor: _walk_in(w.agency.pk, advisor=advisor.pk),
        refused=_WALK_IN_REFUSED,
        unchanged=_foreign_advisor_load,
    ),
    "walk-in-client-uuid-of-foreign-visit": BodyCase(
        "visits:visit_create",
        "advisor",
        own=lambda w: {},
        foreign=_foreign_visit,
        body=lambda w, visit: _walk_in(w.agency.pk, client_uuid=str(visit.uuid)),
        refused=_WALK_IN_REFUSED,
        secret=_prospect_name,
        headers=_SYNC,
    ),
    # Assigning a visit: only to an advisor of the visit's agency.
    "visit-assign-advisor": BodyCase(
        "visits:visit_assign",
        "manager",
        own=_own_visit,
        foreign=lambda w: w.foreign_advisor,
        body=lambda w, advisor: {"advisor": advisor.pk},
        refused=(302,),  # back to the visit with an error
        unchanged=_foreign_advisor_load,
    ),
    "dashboard-assign-advisor": BodyCase(
        "visits:visit_assign",
        "manager",
        own=_own_visit,
        foreign=lambda w: w.foreign_advisor,
        body=lambda w, advisor: {"advisor": advisor.pk},
        refused=(302,),  # back to the list with an error
        unchanged=_foreign_advisor_load,
    ),
    "dashboard-assign-advisor-htmx": BodyCase(
        "visits:visit_assign",
        "manager",
        own=_own_visit,
        foreign=lambda w: w.foreign_advisor,
        body=lambda w, advisor: {"advisor": advisor.pk},
        refused=(422,),
        unchanged=_foreign_advisor_load,
        headers={"HX-Request": "true"},
    ),
    "dashboard-assign-advisor-staff": BodyCase(
        # Head office sees every agency, and still assigns only within the visit's.
        "visits:visit_assign",
        "staff",
        own=_own_visit,
        foreign=lambda w: w.foreign_advisor,
        body=lambda w, advisor: {"advisor": advisor.pk},
        refused=(302,),
        unchanged=_foreign_advisor_load,
    ),
    "visit-status-visit-field": BodyCase(
        # A stray visit id beside the form: the URL's visit changes, never that one.
        "visits:visit_status",
        "advisor",
        own=_own_visit,
        foreign=_foreign_visit,
        body=lambda w, visit: {"status": "lost", "reason": "Parti", "visit": visit.pk},
        refused=(302,),
        secret=_prospect_name,
    ),
    # Dashboard filters: an agency or advisor of elsewhere is an invalid choice (422).
    **{
        f"dashboard-filter-agency-{name}": BodyCase(
            f"dashboard:{name}",
            "manager",
            own=lambda w: {},
            foreign=_foreign_visit,
            body=lambda w, visit: {"agency": visit.agency_id},
            refused=(422,),
            secret=_prospect_name,
            method="get",
        )
        for name in ("index", "visits", "visits_csv")
    },
    "dashboard-filter-advisor": BodyCase(
        "dashboard:visits",
        "manager",
        own=lambda w: {},
        foreign=_foreign_visit,
        body=lambda w, visit: {"advisor": visit.advisor_id},
        refused=(422,),
        secret=_prospect_name,
        method="get",
    ),
    "dashboard-filter-brand-manager": BodyCase(
        # Managers have no brand filter: the parameter is ignored, their agency shown.
        "dashboard:visits",
        "manager",
        own=lambda w: {},
        foreign=_foreign_visit,
        body=lambda w, visit: {"brand": visit.agency.brand_id},
        refused=(200,),
        secret=_prospect_name,
        method="get",
    ),
    # Offline: which conflicts were resolved, by submission ids (a GET parameter).
    "resolved-conflicts-ids": BodyCase(
        "visits:resolved_conflicts",
        "advisor",
        own=lambda w: {},
        foreign=_resolved_foreign_conflict,
        body=lambda w, conflict: {"ids": str(conflict.client_uuid)},
        refused=(200,),  # answered, without the foreign id among the resolved
        secret=lambda w, conflict: str(conflict.client_uuid),
        method="get",
    ),
    "resolved-conflicts-ids-manager": BodyCase(
        "visits:resolved_conflicts",
        "manager",
        own=lambda w: {},
        foreign=_resolved_foreign_conflict,
        body=lambda w, conflict: {"ids": str(conflict.client_uuid)},
        refused=(200,),
        secret=lambda w, conflict: str(conflict.client_uuid),
        method="get",
    ),
    # A blank visit's pages (?modele=<agency>:<activities>): only the person's agencies.
    **{
        f"blank-visit-{label}": BodyCase(
            name,
            "advisor",
            own=lambda w: {},
            foreign=lambda w: w.foreign,
            body=lambda w, agency: {"modele": f"{agency.pk}:housekeeping"},
            refused=(404,),
            secret=_agency_name,
            method="get",
            path=_blank_visit_path(name, *args),
        )
        for label, name, args in (
            ("detail", "visits:visit_detail", ()),
            ("data", "visits:visit_data", ()),
            ("step", "visits:visit_step", ("prospect",)),
            ("sale", "quotes:sale", ()),
        )
    },
    "blank-visit-data-manager": BodyCase(
        "visits:visit_data",
        "manager",
        own=lambda w: {},
        foreign=lambda w: w.foreign,
        body=lambda w, agency: {"modele": f"{agency.pk}:housekeeping"},
        refused=(404,),
        secret=_agency_name,
        method="get",
        path=_blank_visit_path("visits:visit_data"),
    ),
    # A submission id already answered for a foreign visit: never its stored answer.
    "step-submission-of-foreign-visit": BodyCase(
        "visits:visit_step",
        "advisor",
        own=lambda w: {**_own_visit(w), "step": "prospect"},
        foreign=_foreign_submission,
        body=_replay({"base_version": 1}),
        refused=(422,),
        secret=_submission_secret,
        headers=_SYNC,
    ),
    **{
        f"sale-{label}-submission-of-foreign-visit": BodyCase(
            f"quotes:{name}",
            "advisor",
            own=_own_visit,
            foreign=_foreign_submission,
            body=_replay(_SALE),
            refused=(422,),
            secret=_submission_secret,
            headers=_SYNC,
        )
        for label, name in (
            ("quote", "sale_quote"),
            ("contract", "sale_contract"),
            ("signature", "sale_signature"),
        )
    },
    # The sale's writes name a price list, a quote, a contract: the visit's own only.
    "sale-quote-price-list": BodyCase(
        "quotes:sale_quote",
        "advisor",
        own=_own_sale_visit,
        foreign=_foreign_price_list,
        body=lambda w, price_list: {
            **_SALE,
            "submission_id": str(uuid.uuid4()),
            "device_reference": f"{w.agency.brand.quote_prefix}-TABCDEFGH-0001",
            "issued_at": timezone.now().isoformat(),
            "price_list": price_list.pk,
        },
        refused=(422,),
        unchanged=lambda w, price_list: (_row(price_list), Quote.objects.count()),
        headers=_SYNC,
    ),
    "sale-contract-quote": BodyCase(
        "quotes:sale_contract",
        "advisor",
        own=_own_visit,
        foreign=_foreign_quote,
        body=lambda w, quote: {
            **_SALE,
            "submission_id": str(uuid.uuid4()),
            "quote": str(quote.client_uuid),
            "made_at": timezone.now().isoformat(),
        },
        refused=(422,),
        unchanged=lambda w, quote: (_row(quote), Contract.objects.filter(quote=quote).count()),
        secret=lambda w, quote: str(quote.reference),
        headers=_SYNC,
    ),
    "sale-signature-contract": BodyCase(
        "quotes:sale_signature",
        "advisor",
        own=_own_visit,
        foreign=_foreign_contract,
        body=lambda w, contract: {
            "submission_id": str(uuid.uuid4()),
            "contract": str(contract.client_uuid),
            "signer_first_name": "Marie",
            "signer_last_name": "Client",
        },
        refused=(422,),
        unchanged=lambda w, contract: (
            _row(contract),
            SignatureRequest.objects.filter(contract=contract).count(),
        ),
        headers=_SYNC,
    ),
    # An id the tablet chose for a new quote, contract or signature, equal to a foreign one's
    # when no stored answer holds it: refused without naming the other (422).
    "sale-quote-submission-is-foreign-quote": BodyCase(
        "quotes:sale_quote",
        "advisor",
        own=_own_visit,
        foreign=_foreign_quote,
        body=lambda w, quote: {**_SALE, "submission_id": str(quote.client_uuid)},
        refused=(422,),
        secret=lambda w, quote: str(quote.reference),
        headers=_SYNC,
    ),
    "sale-contract-submission-is-foreign-contract": BodyCase(
        "quotes:sale_contract",
        "advisor",
        own=_own_visit,
        foreign=_foreign_contract,
        body=lambda w, contract: {**_SALE, "submission_id": str(contract.client_uuid)},
        refused=(422,),
        secret=lambda w, contract: str(contract.quote.reference),
        headers=_SYNC,
    ),
    "sale-signature-submission-is-foreign-signature": BodyCase(
        "quotes:sale_signature",
        "advisor",
        own=_own_signing_visit,
        foreign=_foreign_signature,
        body=lambda w, signature: {
            "submission_id": str(signature.client_uuid),
            "contract": str(_own_contract_of(w).client_uuid),
        },
        refused=(422,),
        secret=lambda w, signature: f'"signature": {signature.pk}',
        headers=_SYNC,
    ),
    "onsite-submission-is-foreign-signature": BodyCase(
        "signatures:onsite",
        "advisor",
        own=lambda w: {"pk": _own_contract_of(w).pk},
        foreign=_foreign_signature,
        body=lambda w, signature: {"submission_id": str(signature.client_uuid)},
        refused=(422,),
        secret=lambda w, signature: f'"signature": {signature.pk}',
        headers=_SYNC,
    ),
    # Stray ids beside the form of the person's own object: ignored, never followed.
    "privacy-erase-foreign-prospect": BodyCase(
        "privacy:person_erase",
        "manager",
        own=_own_visit,
        foreign=_foreign_visit,
        body=lambda w, visit: {
            "reason": "Demande par lettre",
            "confirm": "on",
            "prospect": visit.prospect_id,
            "visit": visit.pk,
        },
        refused=(303,),  # the own person erased; the foreign one untouched
        unchanged=lambda w, visit: (_row(visit), _row(visit.prospect)),
    ),
    "paper-copy-foreign-task": BodyCase(
        "dashboard:paper_copy_done",
        "manager",
        own=_own_paper_copy,
        foreign=_foreign_paper_copy,
        body=lambda w, task: {"done_on": "2026-11-30", "task": task.pk, "pk": task.pk},
        refused=(302,),
    ),
    "conflict-resolve-foreign-conflict": BodyCase(
        "visits:conflict_detail",
        "manager",
        own=_own_conflict,
        foreign=_foreign_conflict,
        body=lambda w, conflict: {"all": "mine", "conflict": conflict.pk, "pk": conflict.pk},
        refused=(302,),  # the own conflict resolved; the foreign one still open
    ),
}


@pytest.fixture(params=FOREIGN)
def world(request: pytest.FixtureRequest, db: None) -> World:
    agency = AgencyFactory()
    foreign = AgencyFactory(brand=agency.brand) if request.param == "sibling" else AgencyFactory()
    staff = _person("staff", agency)
    assert staff is not None
    return World(
        agency=agency,
        foreign=foreign,
        advisor=UserFactory(role=Role.ADVISOR, agencies=[agency]),
        manager=UserFactory(role=Role.MANAGER, agencies=[agency]),
        staff=staff,
        foreign_advisor=UserFactory(role=Role.ADVISOR, agencies=[foreign]),
    )


# Routes that take a body (or an id in the query) but no object id in it: nothing to put
# a foreign id in. Every other route that takes a POST has a case in ``BODY_CASES``.
BODY_ID_FREE: dict[str, str] = {
    "i18n/setlang/": "a language code",
    "nouveautes/<int:pk>/lu/": "the id is the URL's; the body is a return path",
    "signatures/contrats/<int:pk>/signer/": "no body: the contract is the URL's",
    "visites/<visit:pk>/devis/": "no body: the visit is the URL's",
    "devis/<int:pk>/emettre/": "no body: the quote is the URL's",
    "devis/<int:pk>/reviser/": "no body: the quote is the URL's",
    "devis/<int:pk>/contrat/": "a yes/no (early start); the quote is the URL's",
    "signatures/yousign/webhook/": "Yousign's, refused without its HMAC (plain matrix)",
    "signatures/a-distance/<int:pk>/relancer/": "no body: the request is the URL's",
    "signatures/a-distance/<int:pk>/annuler/": "a reason (text); the request is the URL's",
}
# Routes classified as GET above that take a POST too.
ALSO_POSTED = {
    "visites/nouvelle/",
    "conflits/<int:pk>/",
    "visites/<visit:pk>/etapes/<slug:step>/",
    "signatures/contrats/<int:pk>/tablette/",
}


def _route_names(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            yield from _route_names(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), ns + pattern.name


def test_every_posted_url_has_a_body_id_case() -> None:
    names = dict(_route_names(get_resolver().url_patterns))
    covered = {case.url_name for case in BODY_CASES.values()}
    posted = {route for route, case in URLS.items() if case.method == "post"} | ALSO_POSTED
    missing = sorted(r for r in posted if names.get(r) not in covered and r not in BODY_ID_FREE)
    assert missing == [], f"Add a BODY_CASES entry (or a BODY_ID_FREE reason) for: {missing}"
    stale = sorted(r for r in BODY_ID_FREE if r not in URLS)
    assert stale == [], f"BODY_ID_FREE names URLs that no longer exist: {stale}"


_BODY_PARAMS = [
    pytest.param(
        name,
        id=name,
        marks=[pytest.mark.xfail(strict=True, reason=case.gap)] if case.gap else [],
    )
    for name, case in BODY_CASES.items()
]


@pytest.mark.parametrize("name", _BODY_PARAMS)
def test_a_foreign_id_in_the_body_is_refused(client: Client, world: World, name: str) -> None:
    case = BODY_CASES[name]
    path = case.path(world) if case.path else reverse(case.url_name, kwargs=case.own(world))
    foreign = case.foreign(world)
    body = case.body(world, foreign)
    snapshot = case.unchanged or (lambda w, obj: _row(obj))
    before = snapshot(world, foreign)
    client.force_login(world.user(case.role))
    response = getattr(client, case.method)(path, body, headers=case.headers)
    where = f"{case.method.upper()} {path} {body} as {case.role}"
    assert response.status_code in case.refused, f"{where}: {response.status_code}"
    assert snapshot(world, foreign) == before, f"{where}: the foreign object changed"
    if case.secret:
        text = _body(response).decode(errors="replace")
        assert case.secret(world, foreign) not in text, f"{where}: the foreign object is shown"
    TALLY.count("body-id", refusal=True, unchanged=1)


# --- The figures of the matrix ----------------------------------------------------------


def _is_refusal(expected: Expect) -> bool:
    return expected == LOGIN or (isinstance(expected, int) and expected >= 400)


def _expected_of(route: str, role: str, scope: str, variant: str = "") -> Expect:
    case = URLS.get(route) or PREFIXES[route]
    plain = case.own[role] if scope == "own" else case.other[role]
    if not variant:
        return plain
    return VARIANT_EXPECT.get((route, variant), {}).get(role) or _variant_expect(plain, variant)


def matrix_figures() -> dict[str, Any]:
    """What the matrix requests and asserts, from its tables (the same as the test ids)."""
    routes = list(_routes(get_resolver().url_patterns))
    plain = [p.values for p in _CASES]
    variants = [p.values for p in _VARIANT_CASES]
    gaps = sum(bool(case.gap) for case in BODY_CASES.values()) * len(FOREIGN)
    body_ids = len(BODY_CASES) * len(FOREIGN)
    plain_refusals = sum(_is_refusal(_expected_of(r, role, s)) for r, role, s in plain)
    variant_refusals = sum(_is_refusal(_expected_of(r, role, s, v)) for r, role, s, v in variants)
    no_data = sum(
        _is_refusal(_expected_of(r, role, s, v)) or role == "anonymous"
        for r, role, s, v in variants
    )
    return {
        "routes in the resolver": len(routes),
        "classified entries (URLS + third-party prefixes)": f"{len(URLS)} + {len(PREFIXES)}",
        "GET entries with variants": len(_GET_ROUTES),
        "roles": len(ROLES),
        "scopes (own agency, same-brand agency, other brand)": len(SCOPES),
        "plain requests": len(plain),
        **{f"{variant} requests": sum(v == variant for *_, v in variants) for variant in VARIANTS},
        "body-id cases": f"{len(BODY_CASES)} × {len(FOREIGN)} foreign kinds = {body_ids}",
        "total requests": len(plain) + len(variants) + body_ids,
        "refusal assertions": plain_refusals + variant_refusals + body_ids,
        "  of which plain": plain_refusals,
        "  of which variants": variant_refusals,
        "  of which body-id (status + unchanged in the database)": body_ids,
        "  of which known gaps (strict xfail)": gaps,
        "no-personal-data checks on refusals and anonymous answers": no_data,
    }


@pytest.fixture(scope="module", autouse=True)
def _print_tally() -> Iterator[None]:
    yield
    if TALLY.requests:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(TALLY.by_kind.items()))
        print(
            f"\nURL matrix, this run: {TALLY.requests} requests beyond the plain matrix "
            f"({kinds}); {TALLY.refusals} refusals and {TALLY.unchanged} unchanged-object "
            "checks passed"
        )


def test_matrix_figures() -> None:
    figures = matrix_figures()
    assert figures["total requests"] > 0
    print("\nURL × role × agency matrix (tests/test_url_matrix.py):")
    for label, value in figures.items():
        print(f"  {label}: {value}")
