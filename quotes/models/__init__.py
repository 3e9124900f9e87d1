from quotes.models.legal import LegalText, LegalTextKind
from quotes.models.pricelist import ActivityPrice, Fee, FeeRecurrence, FeeVatRate, PriceList
from quotes.models.quote import (
    QUOTE_TRANSITIONS,
    Contract,
    Document,
    DocumentKind,
    Quote,
    QuoteCounter,
    QuoteStatus,
)

__all__ = [
    "QUOTE_TRANSITIONS",
    "ActivityPrice",
    "Contract",
    "Document",
    "DocumentKind",
    "Fee",
    "FeeRecurrence",
    "FeeVatRate",
    "LegalText",
    "LegalTextKind",
    "PriceList",
    "Quote",
    "QuoteCounter",
    "QuoteStatus",
]
