"""What is signed: the contract's document model (``quotes.document_model``).

The tablet shows the quote and contract rendered from this model and hashes its canonical
JSON (SHA-256); the server compares with the hash of the model it built and kept when the
contract was made. If the two differ, the document changed between presentation and
receipt: nothing is signed.
"""

from __future__ import annotations

from typing import Any

from quotes.document_model import model_json, model_sha256
from quotes.models import Contract


def canonical_form(*, contract: Contract) -> dict[str, Any]:
    return dict(contract.document_model)


def canonical_json(*, contract: Contract) -> str:
    # Sorted keys, no spaces, UTF-8: the browser hashes these exact bytes.
    return model_json(contract.document_model)


def canonical_hash(*, contract: Contract) -> str:
    return model_sha256(contract.document_model)
