"""Every URL of the project, for every role, for one's own agency and for another one.

The URL resolver is walked at test time: a URL that nobody classified in ``URLS`` or
``PREFIXES`` below fails ``test_it_classifies_every_url`` with its route named. To add a
URL, add one entry to ``URLS`` keyed by its full route (as printed by that failure).

Expected answers: 200, 302 (a redirect elsewhere than the login page), LOGIN (302 to the
login page), 403, 404, 405. Staff have TOTP set up, so the two-factor detour is not in
the way. Objects are built by ``make(agency)``: once in the person's own agency
(``own``) and once in another agency (``other``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from announcements.models import Announcement
from organisation.models import Agency, Role, User
from quotes.models import Quote
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.models import PaperCopyTask, Provider, SignatureRequest, SignatureStatus
from tests.factories import (
    AgencyFactory,
    UserFactory,
    VisitFactory,
    make_price_list,
    make_visit_ready_to_quote,
)
from visits.models import Conflict

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
        # Assigning is the manager's; an empty form sends back to the visit with an error.
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
    "tableau-de-bord/visites/<int:pk>/affecter/": Case(
        # An empty form sends back to the list with an error; another agency's visit is 404.
        own={"anonymous": LOGIN, "advisor": 403, "manager": 302, "staff": 302},
        other={"anonymous": LOGIN, "advisor": 403, "manager": 404, "staff": 302},
        make=_visit,
        method="post",
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


_CASES = [
    pytest.param(route, role, scope, id=f"{route or '/'}-{role}-{scope}")
    for table in (URLS, PREFIXES)
    for route, case in table.items()
    for role in ROLES
    for scope in (("own", "other") if case.make else ("own",))
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
        kwargs = (case.make_other or case.make)(AgencyFactory())
    expected = case.own[role] if scope == "own" else case.other[role]
    _check(client, case.method, _path(route, case, kwargs), expected)
