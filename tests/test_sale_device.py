"""The sale replayed from a tablet's outbox: quote, contract and signature by client id,
checked against the document model the server rebuilds; conflicts stored, never sealed."""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from organisation.models import Agency, Role, User
from quotes.document_model import contract_model, model_json, model_sha256, sale_model
from quotes.legal_defaults import legal_texts_load
from quotes.models import Contract, Document, DocumentKind, LegalText, PriceList, Quote, QuoteStatus
from quotes.selectors import price_list_in_force, sale_inputs
from quotes.services import quote_create_draft, quote_issue
from signatures.models import PaperCopyTask, SignatureRequest, SignatureStatus
from tests.factories import AgencyFactory, UserFactory, make_price_list, make_visit_ready_to_quote
from tests.test_signature_onsite import drawn_signature
from visits.models import Conflict, Visit, VisitStatus

pytestmark = pytest.mark.django_db

SYNC = {"HTTP_X_NOMAD_SYNC": "1", "HTTP_X_NOMAD_DEVICE": "tablet-1"}


@pytest.fixture
def agency() -> Agency:
    agency = AgencyFactory()
    make_price_list(agency.brand)
    return agency


@pytest.fixture
def advisor(agency: Agency) -> User:
    return UserFactory(role=Role.ADVISOR, agencies=[agency])


@pytest.fixture
def tablet(client: Client, advisor: User) -> Client:
    client.force_login(advisor)
    return client


def _reference(visit: Visit, seq: int, code: str = "7K3QX9TA") -> str:
    return f"{visit.agency.brand.quote_prefix}-T{code}-{seq:04d}"


def tablet_model(visit: Visit, reference: str, when: Any = None, **changes: Any) -> dict[str, Any]:
    """The model as the tablet builds it (the JS twin gives the same, see the vectors)."""
    when = when or timezone.now()
    price_list = price_list_in_force(agency=visit.agency, on=timezone.localdate(when))
    assert price_list is not None
    inputs = sale_inputs(
        visit=visit,
        price_list=price_list,
        quote_date=timezone.localdate(when),
        device_reference=reference,
    )
    inputs.update(changes)
    return sale_model(inputs=inputs)


def quote_post(visit: Visit, model: dict[str, Any], quote_id: uuid.UUID, when: Any = None) -> dict:
    when = when or timezone.now()
    return {
        "submission_id": str(quote_id),
        "device_reference": model["references"]["device_reference"],
        "issued_at": when.isoformat(),
        "price_list": str(model["quote"]["price_list"]["id"]),
        "document_sha256": model_sha256(model),
        "model": model_json(model),
    }


def test_it_issues_the_tablets_quote_with_the_next_number(
    tablet: Client, agency: Agency, django_capture_on_commit_callbacks: Any
) -> None:
    visit = make_visit_ready_to_quote(agency, minutes={"housekeeping": 180}, proposed=225)
    quote_id = uuid.uuid4()
    issued_at = timezone.now() - timedelta(hours=2)
    # Dated the day it was issued: two hours ago is yesterday before 2:00 in Paris.
    model = tablet_model(visit, _reference(visit, 1), when=issued_at)
    body = quote_post(visit, model, quote_id, issued_at)
    with django_capture_on_commit_callbacks(execute=True):
        answer = tablet.post(f"/visites/{visit.pk}/vente/devis/", body, **SYNC)
    assert answer.status_code == 200, answer.content
    quote = Quote.objects.get(client_uuid=quote_id)
    assert quote.status == QuoteStatus.ISSUED and quote.sequence == 1
    assert answer.json()["quote"]["number"] == quote.reference
    assert quote.device_reference == _reference(visit, 1)
    assert quote.figures == model["quote"]["figures"]  # the advisor's 3 h 45, not 3 h
    assert quote.figures["lines"][0]["minutes_per_week"] == 225
    assert quote.issued_at == issued_at and quote.received_at and quote.received_at > issued_at
    assert not quote.older_price_list
    visit.refresh_from_db()
    assert visit.status == VisitStatus.QUOTED
    # The PDF carries both the number and the tablet's reference.
    pdf = Document.objects.get(quote=quote, kind=DocumentKind.QUOTE)
    assert pdf.pages >= 1

    # Replayed (the answer was lost on the way): the same answer, no second quote.
    again = tablet.post(f"/visites/{visit.pk}/vente/devis/", body, **SYNC)
    assert again.status_code == 200 and again.json() == answer.json()
    assert Quote.objects.filter(visit=visit).count() == 1
    # The same id with other data is refused, and nothing more is written.
    other = {**body, "issued_at": (issued_at - timedelta(minutes=5)).isoformat()}
    refused = tablet.post(f"/visites/{visit.pk}/vente/devis/", other, **SYNC)
    assert refused.status_code == 422 and "déjà servi" in refused.json()["message"]
    assert Quote.objects.get(client_uuid=quote_id).issued_at == issued_at


def test_it_stores_a_conflict_when_the_figures_differ(tablet: Client, agency: Agency) -> None:
    visit = make_visit_ready_to_quote(agency, minutes={"housekeeping": 180})
    model = tablet_model(visit, _reference(visit, 1))
    # Meanwhile, someone else confirmed another figure on the server.
    Visit.objects.filter(pk=visit.pk).update(proposed_minutes=240)
    answer = tablet.post(
        f"/visites/{visit.pk}/vente/devis/", quote_post(visit, model, uuid.uuid4()), **SYNC
    )
    assert answer.status_code == 409
    conflict = Conflict.objects.get(visit=visit, step="quote")
    assert "quote.figures.monthly.ttc" in conflict.conflicting_keys
    assert conflict.mine["quote.figures.lines.0.minutes_per_week"] == 180
    assert conflict.theirs["quote.figures.lines.0.minutes_per_week"] == 240
    assert not Quote.objects.filter(visit=visit).exists()  # nothing issued, nothing printed
    assert answer.json()["conflict_url"] == f"/conflits/{conflict.pk}/"


def test_it_stores_a_conflict_when_a_legal_text_differs(tablet: Client, agency: Agency) -> None:
    visit = make_visit_ready_to_quote(agency)
    model = tablet_model(visit, _reference(visit, 1))
    # The tablet showed terms whose text is not the published one of that version.
    terms = next(t for t in model["legal"] if t["kind"] == "general_terms")
    terms["sha256"] = "0" * 64
    answer = tablet.post(
        f"/visites/{visit.pk}/vente/devis/", quote_post(visit, model, uuid.uuid4()), **SYNC
    )
    assert answer.status_code == 409
    conflict = Conflict.objects.get(visit=visit, step="quote")
    assert "legal.general_terms.sha256" in conflict.conflicting_keys


def test_an_offer_stands_on_the_price_list_it_was_made_with(tablet: Client, agency: Agency) -> None:
    visit = make_visit_ready_to_quote(agency)
    model = tablet_model(visit, _reference(visit, 1))
    # A new price list comes in force after the tablet was prepared.
    old = PriceList.objects.get(brand=agency.brand)
    old.effective_to = timezone.localdate() - timedelta(days=1)
    old.save()
    make_price_list(agency.brand, effective_from=timezone.localdate(), housekeeping="30.00")
    answer = tablet.post(
        f"/visites/{visit.pk}/vente/devis/", quote_post(visit, model, uuid.uuid4()), **SYNC
    )
    assert answer.status_code == 200, answer.content
    quote = Quote.objects.get(visit=visit)
    assert quote.price_list == old and quote.older_price_list
    assert quote.figures == model["quote"]["figures"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"submission_id": "not-a-uuid"}, "UUID"),
        ({"device_reference": "XX-T7K3QX9TA-0001"}, "référence tablette"),
        ({"issued_at": "yesterday"}, "illisible"),
        ({"model": "{"}, "illisible"),
    ],
)
def test_it_refuses_bad_input_clearly(
    tablet: Client, agency: Agency, change: dict[str, str], message: str
) -> None:
    visit = make_visit_ready_to_quote(agency)
    body = {**quote_post(visit, tablet_model(visit, _reference(visit, 1)), uuid.uuid4()), **change}
    answer = tablet.post(f"/visites/{visit.pk}/vente/devis/", body, **SYNC)
    assert answer.status_code in (400, 422)
    assert message in answer.json()["message"]
    assert not Quote.objects.exists() and not Conflict.objects.exists()


def test_another_agencys_visit_is_not_found(tablet: Client) -> None:
    other = AgencyFactory()
    make_price_list(other.brand)
    visit = make_visit_ready_to_quote(other)
    body = quote_post(visit, tablet_model(visit, _reference(visit, 1)), uuid.uuid4())
    assert tablet.post(f"/visites/{visit.pk}/vente/devis/", body, **SYNC).status_code == 404
    assert tablet.post(f"/visites/{visit.uuid}/vente/devis/", body, **SYNC).status_code == 404


def test_the_whole_sale_from_the_tablet(
    tablet: Client, agency: Agency, django_capture_on_commit_callbacks: Any
) -> None:
    visit = make_visit_ready_to_quote(agency, first_name="Élise", last_name="Dumont")
    quote_model = tablet_model(visit, _reference(visit, 3))
    quote_id, contract_id, signature_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert (
        tablet.post(
            f"/visites/{visit.uuid}/vente/devis/", quote_post(visit, quote_model, quote_id), **SYNC
        ).status_code
        == 200
    )
    made_at = timezone.now() - timedelta(minutes=30)
    full = contract_model(
        quote_model=quote_model,
        contract_date=timezone.localdate(made_at).isoformat(),
        # The tablet no longer asks at the contract step: the client asks at signature.
        early_start_requested=False,
    )
    answer = tablet.post(
        f"/visites/{visit.pk}/vente/contrat/",
        {
            "submission_id": str(contract_id),
            "quote": str(quote_id),
            "made_at": made_at.isoformat(),
            "document_sha256": model_sha256(full),
            "model": model_json(full),
        },
        **SYNC,
    )
    assert answer.status_code == 200, answer.content
    contract = Contract.objects.get(client_uuid=contract_id)
    assert not contract.early_start_requested and contract.made_at == made_at
    assert contract.document_model == full

    signed_at = timezone.now() - timedelta(minutes=20)
    with django_capture_on_commit_callbacks(execute=True):
        answer = tablet.post(
            f"/visites/{visit.pk}/vente/signature/",
            {
                "submission_id": str(signature_id),
                "contract": str(contract_id),
                "signer_first_name": "Élise",
                "signer_last_name": "Dumont",
                "identity_confirmed": "on",
                "identity_document": "passport",
                "signature_place": "Rezé",
                "consents_at_signature": "1",
                "early_start_requested": "on",
                "documents_read": "on",
                "withdrawal_information": "on",
                "signature": drawn_signature(),
                "document_hash": model_sha256(full),
                "presented_at": made_at.isoformat(),
                "signed_at": signed_at.isoformat(),
                "device": json.dumps({"online": False}),
            },
            **SYNC,
        )
    assert answer.status_code == 200, answer.content
    request = SignatureRequest.objects.get(client_uuid=signature_id)
    assert request.status == SignatureStatus.SIGNED and request.signed_at == signed_at
    contract.refresh_from_db()
    assert contract.signed_at == signed_at
    from integrations.models import OutboxEvent

    event = OutboxEvent.objects.get(type="contract.signed")
    assert event.data["signed_at"] == signed_at.isoformat()  # the tablet's time
    assert event.data["received_at"] > signed_at.isoformat()
    kinds = set(Document.objects.filter(quote=contract.quote).values_list("kind", flat=True))
    assert {DocumentKind.SIGNED_QUOTE, DocumentKind.SIGNED_CONTRACT, DocumentKind.EVIDENCE} <= kinds
    # The client's request, made at signature, is what the contract now records.
    assert contract.early_start_requested
    evidence = request.evidence
    assert evidence["consents"]["early_start_requested"] is True
    assert evidence["consents"]["durable_medium_email"] is False
    assert evidence["signer"]["identity_document"] == "passport"
    assert evidence["signed_model"]["signing"] == {
        "place": "Rezé",
        "date": timezone.localdate(signed_at).isoformat(),
        "signed_at": signed_at.isoformat(),
        "early_start_requested": True,
        "durable_medium_consent": False,
    }
    # No consent to the email copy: the agency must hand a paper copy.
    assert PaperCopyTask.objects.filter(contract=contract, done_on__isnull=True).exists()


def test_a_signature_without_the_identity_document_is_refused(
    tablet: Client, agency: Agency
) -> None:
    visit = make_visit_ready_to_quote(agency)
    quote_model = tablet_model(visit, _reference(visit, 4))
    quote_id, contract_id = uuid.uuid4(), uuid.uuid4()
    tablet.post(
        f"/visites/{visit.uuid}/vente/devis/", quote_post(visit, quote_model, quote_id), **SYNC
    )
    made_at = timezone.now() - timedelta(minutes=5)
    full = contract_model(
        quote_model=quote_model,
        contract_date=timezone.localdate(made_at).isoformat(),
        early_start_requested=False,
    )
    tablet.post(
        f"/visites/{visit.pk}/vente/contrat/",
        {
            "submission_id": str(contract_id),
            "quote": str(quote_id),
            "made_at": made_at.isoformat(),
            "document_sha256": model_sha256(full),
            "model": model_json(full),
        },
        **SYNC,
    )
    answer = tablet.post(
        f"/visites/{visit.pk}/vente/signature/",
        {
            "submission_id": str(uuid.uuid4()),
            "contract": str(contract_id),
            "signer_first_name": "Élise",
            "signer_last_name": "Dumont",
            "identity_confirmed": "on",
            "signature_place": "Nantes",
            "consents_at_signature": "1",
            "documents_read": "on",
            "withdrawal_information": "on",
            "signature": drawn_signature(),
            "document_hash": model_sha256(full),
            "signed_at": timezone.now().isoformat(),
        },
        **SYNC,
    )
    assert answer.status_code == 422
    assert "Choisissez la pièce d’identité" in answer.json()["message"]
    assert not SignatureRequest.objects.exists()


def test_a_contract_whose_quote_never_arrived_is_refused(tablet: Client, agency: Agency) -> None:
    visit = make_visit_ready_to_quote(agency)
    answer = tablet.post(
        f"/visites/{visit.pk}/vente/contrat/",
        {
            "submission_id": str(uuid.uuid4()),
            "quote": str(uuid.uuid4()),
            "made_at": timezone.now().isoformat(),
            "document_sha256": "0" * 64,
            "model": "{}",
        },
        **SYNC,
    )
    assert answer.status_code == 422
    assert "n’est pas encore arrivé" in answer.json()["message"]
    assert not Contract.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_numbers_online_and_replayed_offline_quotes_without_gap_in_parallel() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run this test against PostgreSQL (DATABASE_URL)")
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks")
    from quotes.device_services import quote_issue_from_device

    legal_texts_load(LegalText)  # a transactional test's flush lost the data migrations

    agency = AgencyFactory()
    make_price_list(agency.brand)
    day = timezone.localdate()
    online = [
        quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None, on=day)
        for _ in range(12)
    ]
    devices = {
        code: [make_visit_ready_to_quote(agency) for _ in range(6)]
        for code in ("AAAAAAAA", "BBBBBBBB")
    }
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run(work: Any) -> None:
        try:
            start.wait()
            work()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def issue_online(batch: list[Quote]) -> Any:
        return lambda: [quote_issue(quote=q, on=day) for q in batch]

    def replay(code: str) -> Any:
        def work() -> None:
            for seq, visit in enumerate(devices[code], start=1):
                issued_at = timezone.now() - timedelta(minutes=60 - seq)
                # Dated the day of its issue (yesterday in the first hour of a day).
                model = tablet_model(visit, _reference(visit, seq, code), when=issued_at)
                quote_issue_from_device(
                    visit=visit,
                    client_uuid=uuid.uuid4(),
                    device_reference=model["references"]["device_reference"],
                    issued_at=issued_at.isoformat(),
                    price_list_id=model["quote"]["price_list"]["id"],
                    document_sha256=model_sha256(model),
                    model=model,
                    user=None,
                )

        return work

    works = [issue_online(online[0::2]), issue_online(online[1::2]), replay("AAAAAAAA")]
    works.append(replay("BBBBBBBB"))
    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert errors == []
    quotes = Quote.objects.filter(brand=agency.brand, status=QuoteStatus.ISSUED)
    assert sorted(quotes.values_list("sequence", flat=True)) == list(range(1, 25))
    # Within a tablet, numbers follow the order of issue on the tablet.
    for code in devices:
        mine = quotes.filter(device_reference__contains=f"-T{code}-").order_by("sequence")
        assert [q.device_reference[-4:] for q in mine] == [f"{n:04d}" for n in range(1, 7)]
    assert date.today().year in set(quotes.values_list("year", flat=True))


def test_a_sale_conflict_is_shown_and_set_aside(
    tablet: Client, agency: Agency, client: Client
) -> None:
    visit = make_visit_ready_to_quote(agency, minutes={"housekeeping": 180})
    model = tablet_model(visit, _reference(visit, 1))
    Visit.objects.filter(pk=visit.pk).update(proposed_minutes=240)
    tablet.post(f"/visites/{visit.pk}/vente/devis/", quote_post(visit, model, uuid.uuid4()), **SYNC)
    conflict = Conflict.objects.get(visit=visit, step="quote")
    manager = UserFactory(role=Role.MANAGER, agencies=[agency])
    client.force_login(manager)
    assert conflict in client.get("/conflits/").context["conflicts"]
    page = client.get(f"/conflits/{conflict.pk}/").content.decode()
    assert "quote.figures.monthly.ttc" in page and "Rien n’a été émis" in page
    # Keeping the tablet's figures is not possible: nobody signed the server's.
    assert client.post(f"/conflits/{conflict.pk}/", {"all": "mine"}).status_code == 422
    assert client.post(f"/conflits/{conflict.pk}/", {"all": "theirs"}).status_code == 302
    conflict.refresh_from_db()
    assert not conflict.is_open and not Quote.objects.filter(visit=visit).exists()


def test_the_manager_sees_a_quote_made_on_an_older_price_list(
    tablet: Client, agency: Agency, client: Client
) -> None:
    visit = make_visit_ready_to_quote(agency)
    model = tablet_model(visit, _reference(visit, 1))
    old = PriceList.objects.get(brand=agency.brand)
    old.effective_to = timezone.localdate() - timedelta(days=1)
    old.save()
    make_price_list(agency.brand, effective_from=timezone.localdate(), housekeeping="30.00")
    tablet.post(f"/visites/{visit.pk}/vente/devis/", quote_post(visit, model, uuid.uuid4()), **SYNC)
    quote = Quote.objects.get(visit=visit)
    client.force_login(UserFactory(role=Role.MANAGER, agencies=[agency]))
    page = client.get(f"/devis/{quote.pk}/").content.decode()
    assert "ancienne grille" in page and quote.device_reference in page
