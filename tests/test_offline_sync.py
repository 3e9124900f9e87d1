"""Server side of offline work: idempotent submissions, device chains, stored conflicts."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from organisation.models import Agency, Role, User
from tests.factories import UserFactory, VisitFactory
from visits.catalogue import catalogue_current
from visits.models import CatalogueVersion, Conflict, Submission, Visit

pytestmark = pytest.mark.django_db
SYNC = {"X-Nomad-Sync": "1"}


@pytest.fixture
def visit(catalogues: list[CatalogueVersion], advisor: User) -> Visit:
    return VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor)


@pytest.fixture
def tablet(client: Client, advisor: User) -> Client:
    client.force_login(advisor)
    return client


def step_url(visit: Visit, step: str = "instructions") -> str:
    return reverse("visits:visit_step", args=[visit.pk, step])


def body(visit: Visit, base: int = 1, **answers: Any) -> dict[str, Any]:
    ids = [catalogue_current(activity=a).pk for a in visit.activities]
    return {"base_version": base, "catalogue_versions": ids, **answers}


def post(
    client: Client,
    visit: Visit,
    data: dict[str, Any],
    device: str = "tablet-1",
    step: str = "instructions",
) -> Any:
    return client.post(step_url(visit, step), data, headers={**SYNC, "X-Nomad-Device": device})


def test_it_applies_a_replayed_submission_once_and_answers_the_same(
    tablet: Client, visit: Visit
) -> None:
    sid = str(uuid.uuid4())
    data = body(visit, submission_id=sid, priorities="La cuisine")
    first = post(tablet, visit, {**data, "csrfmiddlewaretoken": "token-one"})
    second = post(tablet, visit, {**data, "csrfmiddlewaretoken": "token-two"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["next_url"] == step_url(visit, "schedule")
    visit.refresh_from_db()
    assert visit.version == 2 and visit.answers["priorities"] == "La cuisine"
    assert Submission.objects.filter(client_uuid=sid).count() == 1


def test_it_refuses_the_same_submission_id_with_other_data(tablet: Client, visit: Visit) -> None:
    sid = str(uuid.uuid4())
    post(tablet, visit, body(visit, submission_id=sid, priorities="A"))
    response = post(tablet, visit, body(visit, submission_id=sid, priorities="B"))
    assert response.status_code == 422
    assert "déjà servi" in response.json()["message"]
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "A" and visit.version == 2


def test_it_accepts_a_devices_chain_of_offline_edits_on_one_base(
    tablet: Client, visit: Visit
) -> None:
    # Every page the tablet prepared says version 1; its edits follow one another.
    assert post(tablet, visit, body(visit, priorities="A")).status_code == 200
    assert post(tablet, visit, body(visit, frequency="weekly"), step="schedule").status_code == 200
    assert post(tablet, visit, body(visit, priorities="B")).status_code == 200
    visit.refresh_from_db()
    assert (visit.version, visit.answers["priorities"], visit.answers["frequency"]) == (
        4,
        "B",
        "weekly",
    )
    assert not Conflict.objects.exists()


def test_it_merges_a_stale_edit_that_touches_other_answers(
    tablet: Client, visit: Visit, manager: User, client: Client
) -> None:
    office = Client()
    office.force_login(manager)
    assert (
        post(
            office, visit, body(visit, frequency="weekly"), device="office", step="schedule"
        ).status_code
        == 200
    )
    response = post(tablet, visit, body(visit, base=1, priorities="Le salon"))
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.answers["frequency"] == "weekly" and visit.answers["priorities"] == "Le salon"


def test_it_stores_a_conflict_when_someone_else_changed_the_same_answer(
    tablet: Client, visit: Visit, manager: User
) -> None:
    office = Client()
    office.force_login(manager)
    post(office, visit, body(visit, priorities="Le salon"), device="office")
    sid = str(uuid.uuid4())
    response = post(tablet, visit, body(visit, base=1, submission_id=sid, priorities="La cuisine"))
    assert response.status_code == 409
    conflict = Conflict.objects.get()
    assert response.json()["conflict_url"] == reverse("visits:conflict_detail", args=[conflict.pk])
    assert conflict.mine == {"answers.priorities": "La cuisine"}
    assert conflict.theirs == {"answers.priorities": "Le salon"}
    assert conflict.conflicting_keys == ["answers.priorities"]
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "Le salon" and visit.version == 2
    # Replayed: the same answer, and still one conflict.
    again = post(tablet, visit, body(visit, base=1, submission_id=sid, priorities="La cuisine"))
    assert again.status_code == 409 and Conflict.objects.count() == 1


def test_it_treats_a_change_outside_the_log_as_touching_everything(
    tablet: Client, visit: Visit
) -> None:
    Visit.objects.filter(pk=visit.pk).update(version=2, answers={"priorities": "X"})
    response = post(tablet, visit, body(visit, base=1, never_touch="Le piano"))
    assert response.status_code == 409


def test_it_answers_bad_input_with_json_errors(tablet: Client, visit: Visit) -> None:
    response = post(tablet, visit, body(visit, frequency="hourly"), step="schedule")
    assert response.status_code == 422
    assert "frequency" in response.json()["errors"]
    visit.refresh_from_db()
    assert visit.version == 1


def test_it_answers_401_json_to_a_replay_without_session(client: Client, visit: Visit) -> None:
    response = post(client, visit, body(visit, priorities="A"))
    assert response.status_code == 401
    assert response.json()["error"] == "reauthenticate"
    visit.refresh_from_db()
    assert visit.version == 1


def _conflict(visit: Visit, manager: User, tablet: Client) -> Conflict:
    office = Client()
    office.force_login(manager)
    post(office, visit, body(visit, priorities="Le salon", never_touch="Le piano"), device="office")
    post(
        tablet,
        visit,
        body(
            visit,
            base=1,
            priorities="La cuisine",
            never_touch="Le piano",
            general_instructions="Fermer",
        ),
    )
    return Conflict.objects.get()


def test_it_resolves_a_conflict_field_by_field(
    tablet: Client, visit: Visit, manager: User, advisor: User
) -> None:
    conflict = _conflict(visit, manager, tablet)
    assert set(conflict.mine) == {"answers.priorities", "answers.general_instructions"}
    url = reverse("visits:conflict_detail", args=[conflict.pk])
    page = tablet.get(url).content.decode()
    assert "La cuisine" in page and "Le salon" in page and "Priorités" in page
    listed = tablet.get(reverse("visits:conflict_list")).content.decode()
    assert conflict.visit.prospect.last_name in listed
    assert len(conflict.conflicting_keys) == 2 and "2 réponses en conflit" in listed

    response = tablet.post(
        url, {"keep-answers.priorities": "theirs", "keep-answers.general_instructions": "mine"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (
        visit.answers["priorities"] == "Le salon"
        and visit.answers["general_instructions"] == "Fermer"
    )
    conflict.refresh_from_db()
    assert conflict.resolved_by == advisor and not conflict.is_open
    assert conflict.resolution == {
        "answers.priorities": "Le salon",
        "answers.general_instructions": "Fermer",
    }
    # Resolved: read-only, and gone from the list.
    tablet.post(url, {"all": "mine"})
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "Le salon"
    assert (
        conflict.visit.prospect.last_name
        not in tablet.get(reverse("visits:conflict_list")).content.decode()
    )


def test_the_manager_keeps_all_of_the_tablets_version(
    tablet: Client, visit: Visit, manager: User, client: Client
) -> None:
    conflict = _conflict(visit, manager, tablet)
    office = Client()
    office.force_login(manager)
    assert (
        conflict.visit.prospect.last_name
        in office.get(reverse("visits:conflict_list")).content.decode()
    )
    office.post(reverse("visits:conflict_detail", args=[conflict.pk]), {"all": "mine"})
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "La cuisine"


def test_a_resolution_must_choose_every_answer(tablet: Client, visit: Visit, manager: User) -> None:
    conflict = _conflict(visit, manager, tablet)
    response = tablet.post(
        reverse("visits:conflict_detail", args=[conflict.pk]), {"keep-answers.priorities": "mine"}
    )
    assert response.status_code == 422
    conflict.refresh_from_db()
    assert conflict.is_open


def test_conflicts_stay_in_their_agency(
    tablet: Client, visit: Visit, manager: User, other_agency: Agency
) -> None:
    conflict = _conflict(visit, manager, tablet)
    outsider = Client()
    outsider.force_login(UserFactory(role=Role.MANAGER, agencies=[other_agency]))
    assert outsider.get(reverse("visits:conflict_detail", args=[conflict.pk])).status_code == 404
    colleague = Client()
    colleague.force_login(UserFactory(role=Role.ADVISOR, agencies=[visit.agency]))
    assert colleague.get(reverse("visits:conflict_detail", args=[conflict.pk])).status_code == 403


def test_it_lists_what_to_prepare_for_the_day(tablet: Client, visit: Visit, advisor: User) -> None:
    # Now, not the factory's "in an hour": after 23:00 in Paris that is tomorrow.
    Visit.objects.filter(pk=visit.pk).update(scheduled_at=timezone.now())
    other = VisitFactory(prospect__agency=visit.agency, scheduled_at=timezone.now())  # not ours
    plan = tablet.get(reverse("visits:preparation")).json()
    assert [v["id"] for v in plan["visits"]] == [visit.pk]
    urls = plan["visits"][0]["urls"]
    assert reverse("visits:visit_data", args=[visit.pk]) in urls
    assert step_url(visit, "dwelling") in urls and step_url(visit, "estimate") in urls
    assert reverse("visits:agenda") in plan["pages"]
    assert other.pk not in [v["id"] for v in plan["visits"]]


def test_it_gives_the_visit_data_the_device_needs(tablet: Client, visit: Visit) -> None:
    data = tablet.get(reverse("visits:visit_data", args=[visit.pk])).json()
    assert data["visit"]["version"] == 1 and data["min_minutes"] == 120
    assert data["catalogues"][0]["norms"]["shirt_minutes"] == "5"


def test_it_serves_the_worker_at_the_root_and_versions_it(client: Client, db: None) -> None:
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    first = response.content.decode()
    assert "nomad-shell-" in first and "/static/js/sync.js" in first
    with override_settings(NOMAD_OFFLINE_VERSION_SUFFIX="-next"):
        assert client.get("/sw.js").content.decode() != first


def test_the_manifest_follows_the_brand(tablet: Client, advisor: User) -> None:
    brand = advisor.agencies.get().brand
    manifest = json.loads(tablet.get("/manifest.json").content)
    assert manifest["name"] == brand.name and manifest["theme_color"] == brand.primary_colour
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {}
    for icon in manifest["icons"]:
        image = Image.open(io.BytesIO(tablet.get(icon["src"]).content))
        sizes[icon["sizes"]] = image.size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}
    assert json.loads(Client().get("/manifest.json").content)["name"] == "NOMAD web"
