"""Reads about brands, agencies and people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from organisation.models import Agency, Brand, Role, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet


def brand_for_user(*, user: User | AnonymousUser) -> Brand | None:
    """The brand whose colours and logo the person sees: that of their first agency."""
    if not user.is_authenticated:
        return None
    agency = Agency.objects.filter(memberships__user=user).select_related("brand").order_by("pk")
    first = agency.first()
    return first.brand if first else None


def advisors_of_agency(*, agency: Agency) -> QuerySet[User]:
    return User.objects.filter(memberships__agency=agency, role=Role.ADVISOR, is_active=True)
