"""Privacy rules (issue 10): consent, audit log, retention, export, erasure, access codes."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organisation.models import Agency, Role, User
from privacy.models import AuditAction, AuditEntry
from privacy.services import prospect_erase, retention_apply, retention_due
from quotes.models import Contract, Document, DocumentKind, LegalText, Quote, QuoteStatus
from quotes.services import contract_create, quote_create_draft, quote_issue, quote_set_status
from tests.factories import UserFactory, VisitFactory, make_price_list, make_visit_ready_to_quote
from visits.catalogue import catalogue_current
from visits.models import Prospect, Visit, VisitStatus
from visits.services import WriteContext, visit_assign, visit_save_answers, visit_set_status

pytestmark = pytest.mark.django_db

PROSPECT_POST = {
    "civility": "mrs",
    "first_name": "Marie",
    "last_name": "Lambert",
    "address": "3 rue Crébillon",
    "postal_code": "44000",
    "city": "Nantes",
    "adults": "2",
    "dependent_children": "0",
    "members_over_65": "0",
}


def _catalogue_ids(visit: Visit) -> list[int]:
    return [catalogue_current(activity=a).pk for a in visit.activities]


def _save_codes(visit: Visit, user: User | None, **answers: Any) -> None:
    visit.refresh_from_db()
    visit_save_answers(
        visit=visit,
        step="household",
        answers=answers,
        ctx=WriteContext(base_version=visit.version, user=user),
        catalogue_ids=_catalogue_ids(visit),
    )


def _document(quote: Quote, kind: str, content: bytes) -> Document:
    return Document.objects.create(
        kind=kind,
        quote=quote,
        file=ContentFile(content, name=f"{kind}.pdf"),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        pages=1,
    )


def _issued_quote(visit: Visit) -> Quote:
    make_price_list(visit.agency.brand, effective_from=date(2020, 1, 1))
    return quote_issue(quote=quote_create_draft(visit=visit, user=None))


def _signed_quote(agency: Agency) -> Quote:
    quote = _issued_quote(make_visit_ready_to_quote(agency))
    contract = contract_create(quote=quote, user=None, early_start_requested=False)
    quote_set_status(quote=quote, status=QuoteStatus.SIGNED)
    Contract.objects.filter(pk=contract.pk).update(signed_at=timezone.now())
    return quote


# Consent -------------------------------------------------------------------------------


def test_it_shows_the_published_consent_text_and_records_its_version_and_who(
    client: Client, advisor: User, catalogues: list[object]
) -> None:
    LegalText.objects.create(
        kind="consent",
        version="2027-01",
        title="Consentement révisé",
        body="Texte révisé du consentement.",
        published_at=timezone.now() + timedelta(seconds=1),
    )
    visit = VisitFactory(
        prospect__agency=advisor.agencies.get(), prospect__consent_at=None, advisor=advisor
    )
    client.force_login(advisor)
    url = reverse("visits:visit_step", args=[visit.pk, "prospect"])
    page = client.get(url).content.decode()
    assert "Consentement révisé" in page and "Texte révisé du consentement." in page

    data = {**PROSPECT_POST, "consent": "on", "consent_version": "2027-01", "base_version": 1}
    assert client.post(url, data).status_code == 303
    prospect = Prospect.objects.get(pk=visit.prospect_id)
    assert prospect.consent_text_version == "2027-01"
    assert prospect.consent_by == advisor and prospect.consent_at is not None
    entry = AuditEntry.objects.get(action=AuditAction.CONSENT)
    assert entry.user == advisor and entry.prospect_ref == prospect.pk


def test_it_refuses_the_next_steps_until_consent_is_recorded(
    client: Client, advisor: User, catalogues: list[object]
) -> None:
    visit = VisitFactory(
        prospect__agency=advisor.agencies.get(), prospect__consent_at=None, advisor=advisor
    )
    client.force_login(advisor)
    response = client.post(
        reverse("visits:visit_step", args=[visit.pk, "instructions"]),
        {
            "base_version": 1,
            "catalogue_versions": _catalogue_ids(visit),
            "door_code": "1234",
            "priorities": "Cuisine",
        },
    )
    assert response.status_code == 422
    assert "Enregistrez le consentement du prospect" in response.content.decode()
    visit.refresh_from_db()
    assert visit.answers == {} and visit.version == 1


# Audit log -----------------------------------------------------------------------------


def test_it_audits_answers_with_codes_masked_status_and_assignment(
    advisor: User, manager: User, catalogues: list[object]
) -> None:
    visit = VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor)
    _save_codes(visit, advisor, door_code="4321B", priorities="Cuisine")
    entry = AuditEntry.objects.get(object_type="visits.visit", action=AuditAction.UPDATE)
    assert entry.user == advisor and entry.prospect_ref == visit.prospect_id
    assert entry.changes["answers.door_code"] == [None, "•••"]
    assert entry.changes["answers.priorities"] == [None, "Cuisine"]
    assert entry.changes["status"] == ["scheduled", "in_progress"]
    assert "4321B" not in json.dumps(list(AuditEntry.objects.values("changes")))

    other = UserFactory(role=Role.ADVISOR, agencies=[advisor.agencies.get()])
    visit_assign(visit=visit, advisor=other, user=manager)
    visit_set_status(visit=visit, status=VisitStatus.LOST, reason="Trop cher", user=manager)
    assign = AuditEntry.objects.get(action=AuditAction.ASSIGN)
    assert assign.user == manager and assign.changes == {"advisor": [advisor.pk, other.pk]}
    status = AuditEntry.objects.get(action=AuditAction.STATUS)
    assert status.changes == {"status": ["in_progress", "lost"]} and status.reason == "Trop cher"


def test_it_audits_the_quote_issue_and_the_signature(agency: Agency) -> None:
    quote = _signed_quote(agency)
    actions = set(
        AuditEntry.objects.filter(prospect_ref=quote.visit.prospect_id).values_list(
            "object_type", "action"
        )
    )
    assert ("quotes.quote", AuditAction.ISSUE) in actions
    assert ("quotes.contract", AuditAction.CREATE) in actions
    assert ("quotes.quote", AuditAction.STATUS) in actions
    assert ("visits.visit", AuditAction.STATUS) in actions


def test_it_shows_the_audit_log_to_staff_and_lets_nobody_edit_it(
    client: Client, staff: User, advisor: User
) -> None:
    visit = VisitFactory(prospect__agency=advisor.agencies.get())
    visit_set_status(visit=visit, status=VisitStatus.CANCELLED, reason="x", user=advisor)
    entry = AuditEntry.objects.get()
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    assert client.get(reverse("admin:privacy_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:privacy_auditentry_add")).status_code == 403
    delete = reverse("admin:privacy_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:privacy_auditentry_change", args=[entry.pk])
    client.post(change, {"reason": "rewritten"})
    entry.refresh_from_db()
    assert entry.reason == "x" and AuditEntry.objects.count() == 1


# Retention -----------------------------------------------------------------------------

T0 = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)


def test_it_anonymises_exactly_after_the_retention_period(agency: Agency) -> None:
    with time_machine.travel(T0, tick=False):
        visit = VisitFactory(prospect__agency=agency, scheduled_at=T0)
    limit = T0 + timedelta(days=1095)
    with time_machine.travel(limit - timedelta(minutes=1), tick=False):
        assert visit.prospect_id not in list(retention_due().values_list("pk", flat=True))
    with time_machine.travel(limit, tick=False):
        assert not retention_due().exists()
    with time_machine.travel(limit + timedelta(minutes=1), tick=False):
        assert list(retention_due().values_list("pk", flat=True)) == [visit.prospect_id]


def test_it_counts_a_later_visit_as_contact_and_never_takes_a_signed_client(
    agency: Agency, settings: Any
) -> None:
    settings.NOMAD_RETENTION_PROSPECT_DAYS = 30
    with time_machine.travel(T0, tick=False):
        planned = VisitFactory(prospect__agency=agency, scheduled_at=T0 + timedelta(days=20))
        signed = _signed_quote(agency)
    with time_machine.travel(T0 + timedelta(days=40), tick=False):
        assert not retention_due().exists()  # 20 days since the planned visit; signed: never
    with time_machine.travel(T0 + timedelta(days=51), tick=False):
        due = list(retention_due().values_list("pk", flat=True))
    assert due == [planned.prospect_id] and signed.visit.prospect_id not in due


def test_it_keeps_the_figures_and_blanks_the_person(agency: Agency, settings: Any) -> None:
    settings.NOMAD_RETENTION_PROSPECT_DAYS = 30
    with time_machine.travel(T0, tick=False):
        visit = make_visit_ready_to_quote(agency)
        Visit.objects.filter(pk=visit.pk).update(answers={"door_code": "9999", "pets": "chat"})
        quote = _issued_quote(visit)
    figures = quote.figures
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        assert retention_apply() == [visit.prospect_id]
    visit.refresh_from_db()
    prospect, quote = visit.prospect, Quote.objects.get(pk=quote.pk)
    assert prospect.first_name == "" and prospect.email == "" and prospect.address == ""
    assert prospect.anonymised_at is not None
    assert visit.answers == {} and visit.status == VisitStatus.QUOTED
    assert visit.activities == ["housekeeping"] and visit.estimated_minutes == 180
    # Issued 31 days ago: the quote as issued is kept its year, then blanked.
    assert quote.parties["client"]["name"] and quote.number
    entry = AuditEntry.objects.get(action=AuditAction.ANONYMISE)
    assert entry.user is None and "30" in entry.reason
    with time_machine.travel(T0 + timedelta(days=367), tick=False):
        assert retention_apply() == []
    quote.refresh_from_db()
    assert quote.parties["client"] == {} and quote.parties["company"]
    assert figures and quote.figures == figures and quote.number


def test_it_lists_without_changing_in_dry_run(
    agency: Agency, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.NOMAD_RETENTION_PROSPECT_DAYS = 30
    with time_machine.travel(T0, tick=False):
        visit = VisitFactory(prospect__agency=agency, scheduled_at=T0)
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        call_command("privacy_retention", "--dry-run")
        out = capsys.readouterr().out
        assert f"prospect #{visit.prospect_id}" in out and "1 prospect(s) would be" in out
        assert Prospect.objects.get(pk=visit.prospect_id).anonymised_at is None
        call_command("privacy_retention")
    assert Prospect.objects.get(pk=visit.prospect_id).anonymised_at is not None


# Export and erasure --------------------------------------------------------------------


def test_it_exports_the_persons_data_and_documents_as_a_zip(
    client: Client, manager: User, agency: Agency
) -> None:
    visit = make_visit_ready_to_quote(agency, first_name="Hélène", email="helene@example.test")
    Visit.objects.filter(pk=visit.pk).update(answers={"door_code": "1234", "pets": "chien"})
    quote = _issued_quote(visit)
    _document(quote, DocumentKind.QUOTE, b"%PDF-1.4 the quote")
    client.force_login(manager)
    response = client.get(reverse("privacy:person_export", args=[visit.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["prospect"]["first_name"] == "Hélène"
    assert data["prospect"]["email"] == "helene@example.test"
    assert data["visits"][0]["answers"] == {"door_code": "1234", "pets": "chien"}
    assert data["quotes"][0]["number"] == quote.number
    [listed] = data["documents"]
    assert archive.read(listed["file"]) == b"%PDF-1.4 the quote"
    assert any(e["action"] == "issue" for e in data["history"])
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, user=manager).exists()


def test_it_erases_all_but_the_signed_contract_and_records_why_and_who(
    client: Client, manager: User, agency: Agency
) -> None:
    signed = _signed_quote(agency)
    prospect = signed.visit.prospect
    signed_doc = _document(signed, DocumentKind.SIGNED_CONTRACT, b"%PDF signed")
    other_visit = make_visit_ready_to_quote(agency)
    Visit.objects.filter(pk=other_visit.pk).update(prospect=prospect, answers={"pets": "chat"})
    # Issued more than a year ago: its copy need not be kept any more.
    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        unsigned = _issued_quote(Visit.objects.get(pk=other_visit.pk))
    unsigned_doc = _document(unsigned, DocumentKind.QUOTE, b"%PDF unsigned")
    client.force_login(manager)
    url = reverse("privacy:person_erase", args=[signed.visit_id])

    refused = client.post(url, {"reason": "", "confirm": "on"})
    assert refused.status_code == 422
    assert Prospect.objects.get(pk=prospect.pk).anonymised_at is None

    response = client.post(url, {"reason": "Lettre du 2 mai", "confirm": "on"})
    assert response.status_code == 303
    prospect.refresh_from_db()
    assert prospect.last_name == "anonymised" and prospect.phone == ""
    signed.refresh_from_db()
    assert signed.parties["client"]["name"]  # the contract's parties stay
    assert Document.objects.filter(pk=signed_doc.pk).exists()
    unsigned.refresh_from_db()
    assert unsigned.parties["client"] == {} and unsigned.figures
    assert not Document.objects.filter(pk=unsigned_doc.pk).exists()
    assert Visit.objects.get(pk=other_visit.pk).answers == {}
    entry = AuditEntry.objects.get(action=AuditAction.ERASE)
    assert entry.user == manager and entry.reason == "Lettre du 2 mai"
    assert entry.changes["kept_quotes"] == [None, [signed.reference]]


def test_it_keeps_a_quote_issued_less_than_a_year_ago_and_its_pdf_and_says_why(
    client: Client, manager: User, agency: Agency
) -> None:
    issued_at = timezone.now() - timedelta(days=200)
    with time_machine.travel(issued_at, tick=False):
        visit = make_visit_ready_to_quote(agency, first_name="Hélène")
        young = _issued_quote(visit)
        contract = contract_create(quote=young, user=None, early_start_requested=False)
    pdf = _document(young, DocumentKind.QUOTE, b"%PDF the quote as issued")
    unsigned_contract = _document(young, DocumentKind.CONTRACT, b"%PDF contract, unsigned")
    client.force_login(manager)

    response = client.post(
        reverse("privacy:person_erase", args=[visit.pk]),
        {"reason": "Courriel du 3 mai", "confirm": "on"},
        follow=True,
    )

    assert response.status_code == 200
    visit.prospect.refresh_from_db()
    assert visit.prospect.anonymised_at is not None and visit.prospect.first_name == ""
    young.refresh_from_db()
    assert young.parties["client"]["name"].startswith("Hélène")  # the quote as issued
    assert Document.objects.get(pk=pdf.pk).file.read() == b"%PDF the quote as issued"
    assert not Document.objects.filter(pk=unsigned_contract.pk).exists()
    assert Contract.objects.filter(pk=contract.pk).exists()
    until = timezone.localdate(issued_at + timedelta(days=366))
    said = [str(m) for m in response.context["messages"]]
    assert any(
        young.reference in m and until.strftime("%d/%m/%Y") in m and "un an" in m for m in said
    ), said
    entry = AuditEntry.objects.get(action=AuditAction.ERASE)
    assert entry.changes["quotes_kept_a_year"] == [None, {young.reference: until.isoformat()}]
    assert "kept_quotes" not in entry.changes  # nothing signed

    # The night after the year is over, the copy goes too; the figures stay.
    with time_machine.travel(issued_at + timedelta(days=365), tick=False):
        retention_apply()
    assert Document.objects.filter(pk=pdf.pk).exists()
    with time_machine.travel(issued_at + timedelta(days=367), tick=False):
        retention_apply()
        retention_apply()  # once only
    young.refresh_from_db()
    assert young.parties["client"] == {} and young.figures and young.number
    assert not Document.objects.filter(pk=pdf.pk).exists()
    purged = AuditEntry.objects.filter(action=AuditAction.ANONYMISE, object_id=young.pk)
    assert purged.count() == 1


def test_it_masks_the_persons_values_in_the_audit_log_on_erasure(
    advisor: User, manager: User, catalogues: list[object]
) -> None:
    visit = VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor)
    _save_codes(visit, advisor, priorities="Le chat de Mme Lambert")
    prospect_erase(prospect=visit.prospect, user=manager, reason="Demande écrite")
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE)
    assert entry.changes["answers.priorities"] == [None, "•••"]
    assert entry.changes["status"] == ["scheduled", "in_progress"]  # not personal
    assert entry.user == advisor


# Access codes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"), [("assigned", True), ("manager", True), ("colleague", False)]
)
def test_it_shows_access_codes_only_to_those_who_need_them(
    client: Client, advisor: User, manager: User, catalogues: list[object], who: str, sees: bool
) -> None:
    visit = VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor)
    _save_codes(visit, advisor, door_code="4321B", alarm_code="9876Z")
    colleague = UserFactory(role=Role.ADVISOR, agencies=[advisor.agencies.get()])
    client.force_login({"assigned": advisor, "manager": manager, "colleague": colleague}[who])
    summary = client.get(reverse("visits:visit_step", args=[visit.pk, "summary"])).content.decode()
    step = client.get(reverse("visits:visit_step", args=[visit.pk, "household"])).content
    data = client.get(reverse("visits:visit_data", args=[visit.pk])).json()
    for code in ("4321B", "9876Z"):
        assert (code in summary) is sees
        assert (code in step.decode()) is sees
        assert (code in json.dumps(data["visit"]["answers"])) is sees
    if not sees:
        assert "masqué" in summary


def test_it_hides_the_codes_on_the_mission_sheet_from_other_advisors(
    client: Client, agency: Agency, advisor: User, manager: User
) -> None:
    quote = _signed_quote(agency)
    Visit.objects.filter(pk=quote.visit_id).update(
        advisor=advisor, answers={"door_code": "4321B", "alarm": "yes", "alarm_code": "9876Z"}
    )
    colleague = UserFactory(role=Role.ADVISOR, agencies=[agency])
    url = reverse("visits:mission_sheet", args=[quote.visit_id])
    for user, sees in ((advisor, True), (manager, True), (colleague, False)):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert ("4321B" in page) is sees and ("9876Z" in page) is sees
