"""Writes about people's access: roles and agencies from the SSO, the access audit log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction

from nomad_web.http import client_ip
from organisation.models import AccessEvent, Agency, Membership, User

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)


@transaction.atomic
def user_access_sync(*, user: User, role: str, agency_codes: list[str]) -> None:
    """Give ``user`` exactly this role and these agencies: missing ones added, others removed.

    Codes that match no agency are ignored with a warning: agencies are created by staff,
    never by a token.
    """
    agencies = {agency.code: agency for agency in Agency.objects.filter(code__in=agency_codes)}
    unknown = sorted(set(agency_codes) - set(agencies))
    if unknown:
        logger.warning("SSO: unknown agency codes for %s ignored: %s", user.email, unknown)

    user.role = role
    user.save()
    wanted = {agency.pk for agency in agencies.values()}
    Membership.objects.filter(user=user).exclude(agency_id__in=wanted).delete()
    have = set(Membership.objects.filter(user=user).values_list("agency_id", flat=True))
    Membership.objects.bulk_create(
        [Membership(user=user, agency_id=pk) for pk in sorted(wanted - have)]
    )


def access_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    email: str = "",
    detail: str = "",
) -> AccessEvent:
    if user is not None and not user.is_authenticated:
        user = None
    if user is not None and not email:
        email = user.email
    event = AccessEvent(kind=kind, user=user, email=email[:254], detail=detail[:200])
    if request is not None:
        event.ip_address = client_ip(request)
        event.user_agent = request.headers.get("User-Agent", "")[:300]
        event.path = request.get_full_path()[:500]
    event.save()
    return event
