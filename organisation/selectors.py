"""Reads about brands, agencies and people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nomad_web.request_cache import cached
from organisation.models import Agency, Brand, Membership, Role, User

if TYPE_CHECKING:
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


def advisors_of_agency(*, agency: Agency) -> QuerySet[User]:
    return User.objects.filter(memberships__agency=agency, role=Role.ADVISOR, is_active=True)
