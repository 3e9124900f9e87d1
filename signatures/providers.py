"""One interface, two providers: the rest of the code asks ``provider_for(agency)`` and
never knows whether the client signs on the tablet or remotely through Yousign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.urls import reverse

from organisation.models import Agency, User
from quotes.models import Contract
from signatures.models import Provider, SignatureRequest


@dataclass(frozen=True)
class Signer:
    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Started:
    """Where the advisor goes next, and the request when one was created at once."""

    next_url: str
    request: SignatureRequest | None = None


class SignatureProvider(Protocol):
    key: str

    def start(self, *, contract: Contract, signer: Signer, user: User | None) -> Started: ...

    def cancel(self, *, request: SignatureRequest, reason: str) -> SignatureRequest: ...

    def remind(self, *, request: SignatureRequest) -> None: ...


class OnSiteProvider:
    """The client signs on the advisor's tablet; the request is created when it arrives."""

    key: str = Provider.ONSITE

    def start(self, *, contract: Contract, signer: Signer, user: User | None) -> Started:
        return Started(next_url=reverse("signatures:onsite", args=[contract.pk]))

    def cancel(self, *, request: SignatureRequest, reason: str) -> SignatureRequest:
        from signatures.services import signature_close

        return signature_close(request=request, status="cancelled", reason=reason)

    def remind(self, *, request: SignatureRequest) -> None:
        return None  # nobody to remind: the signer is in front of the tablet


def provider_key_for(*, agency: Agency) -> str:
    return agency.signature_provider or agency.brand.signature_provider


def provider_for(*, agency: Agency) -> SignatureProvider:
    key = provider_key_for(agency=agency)
    if key == Provider.YOUSIGN:
        from signatures.yousign_provider import YousignProvider

        return YousignProvider()
    return OnSiteProvider()
