"""Reads about brands, agencies and people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nomad_web.request_cache import cached
from organisation.models import Agency, Brand, Membership, Role, User

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet


def brand_for_user(*, user: User | AnonymousUser) -> Brand | None:
    """The brand whose colours and logo the person sees: that of their first agency.

    Cached per person; any change to a brand, an agency or a membership invalidates it.
    """
    if not user.is_authenticated:
        return None
    user_id = user.pk

    def compute() -> Brand | None:
        agencies = Agency.objects.filter(memberships__user_id=user_id)
        first = agencies.select_related("brand").order_by("pk").first()
        return first.brand if first else None

    return cached("organisation", f"brand:{user_id}", compute)


def agency_ids_of_user(*, user_id: int) -> list[int]:
    """Ids of the agencies the person is a member of: what scoping lets them see
    (``organisation.scoping``), and the request log's ``agency``.

    Cached per person like the brand; a change of membership invalidates it."""

    def compute() -> list[int]:
        return sorted(
            Membership.objects.filter(user_id=user_id).values_list("agency_id", flat=True)
        )

    return cached("organisation", f"agency_ids:{user_id}", compute)


def advisors_of(*, agency_ids: Iterable[int]) -> QuerySet[User]:
    """The active advisors of these agencies, by name (whom a visit can be assigned to)."""
    return (
        User.objects.filter(
            role=Role.ADVISOR, is_active=True, memberships__agency_id__in=agency_ids
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def advisors_by_agency(*, agency_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active advisors of each of these agencies, in one query (bounded by the caller)."""
    wanted = set(agency_ids)
    out: dict[int, list[User]] = {pk: [] for pk in wanted}
    rows = (
        User.objects.filter(role=Role.ADVISOR, is_active=True, memberships__agency_id__in=wanted)
        .order_by("last_name", "first_name", "pk")
        .values_list("pk", "first_name", "last_name", "email", "memberships__agency_id")
    )
    for pk, first, last, email, agency_id in rows:
        out[agency_id].append(User(pk=pk, first_name=first, last_name=last, email=email))
    return out
