"""What is signed: the canonical form of the figures and texts shown to the signer.

The tablet shows the quote and contract from this form and hashes its exact JSON text
(SHA-256); the server recomputes it when the signature arrives. If the two hashes
differ, the document changed between presentation and receipt: nothing is signed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from quotes.models import Contract


def canonical_form(*, contract: Contract) -> dict[str, Any]:
    quote = contract.quote
    terms = contract.general_terms
    return {
        "quote": {
            "reference": quote.reference,
            "date": quote.quote_date.isoformat(),
            "valid_until": quote.valid_until.isoformat(),
            "figures": quote.figures,
            "parties": quote.parties,
        },
        "contract": {
            "id": contract.pk,
            "general_terms": {
                "kind": terms.kind,
                "version": terms.version,
                "sha256": hashlib.sha256(terms.body.encode()).hexdigest(),
            },
        },
    }


def canonical_json(*, contract: Contract) -> str:
    # Sorted keys, no spaces, UTF-8: the browser hashes these exact bytes.
    return json.dumps(
        canonical_form(contract=contract), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def canonical_hash(*, contract: Contract) -> str:
    return hashlib.sha256(canonical_json(contract=contract).encode()).hexdigest()
