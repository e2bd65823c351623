"""Pure flow-document validation (no ORM): ``validate_document(doc) -> list[Finding]``."""

from .findings import Finding
from .size_limits import MAX_DOCUMENT_BYTES, MAX_NODES
from .validate import validate_document

__all__ = ["MAX_DOCUMENT_BYTES", "MAX_NODES", "Finding", "validate_document"]
