"""The one place that decides which agencies' data a person may reach.

Every model that belongs to an agency uses ``AgencyScopedQuerySet`` and names the path
to its agency in ``agency_field``; views reach such objects only through
``for_user(user)`` or ``get_for_user_or_404``. Deny by default: an anonymous, inactive
or role-less person gets an empty queryset; staff get everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from organisation.models import User

_M = TypeVar("_M", bound=models.Model)


def agency_ids_for(user: User | AnonymousUser) -> list[int] | None:
    """Ids of the agencies ``user`` may see; ``None`` means all of them.

    A list, not a subquery: every scoped query then filters on plain ids. It is the
    person's memberships as cached for the request (``organisation.selectors``), which
    any change of membership invalidates at once (``nomad_web.request_cache``)."""
    from organisation.models import Role
    from organisation.selectors import agency_ids_of_user

    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_staff:
        return None
    if user.role not in (Role.ADVISOR, Role.MANAGER):
        return []
    return agency_ids_of_user(user_id=user.pk)


class OutOfScope(Http404):
    """A 404 for an object that exists in another agency: answered as any 404, but audited."""


class AgencyScopedQuerySet(models.QuerySet[_M]):
    #: Lookup from the model to its agency's id, e.g. ``"agency"`` or ``"visit__agency"``.
    agency_field = "agency"

    def for_user(self, user: User | AnonymousUser) -> AgencyScopedQuerySet[_M]:
        agency_ids = agency_ids_for(user)
        if agency_ids is None:
            return self.all()
        return self.filter(**{f"{self.agency_field}__in": agency_ids})


def get_for_user_or_404(
    queryset: models.QuerySet[_M], user: User | AnonymousUser, **lookup: Any
) -> _M:
    """The object matching ``lookup`` among those ``user`` may see, or 404.

    Another agency's object and a missing object answer the same, so ids cannot be probed.
    """
    if not isinstance(queryset, AgencyScopedQuerySet):
        raise TypeError(f"{queryset.model.__name__} is not agency-scoped.")
    try:
        return queryset.for_user(user).get(**lookup)
    except queryset.model.DoesNotExist:
        # One more query, on this path only, so that probing another agency is audited.
        if queryset.filter(**lookup).exists():
            raise OutOfScope from None
        raise Http404 from None
