"""The response cache and HTTP caching of GraphQL reads.

A query's response is kept under a key made of the data version (hub/core/dataversion.py, moved
forward by every write in its own transaction), the viewer (an account, or anonymous: personal
data and `viewer` never cross accounts), the normalised document, the operation name and the
variables. Every request reads the current version first, so a read that starts after a write
commits, in any process, never meets an older entry. Mutations, subscriptions and documents
that select fields which change without a user's write (notification delivery status) are
never cached. Memory is bounded by a byte budget (least recently used entries go first).

GET queries carry a strong ETag made the same way; `If-None-Match` with it answers 304."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    print_ast,
    visit,
)
from graphql.language import Visitor

from hub.web.limits import ENTRY_OVERHEAD, ByteBoundedMemo, DocumentParser, digest, documents

VOLATILE_FIELDS = frozenset(
    {"notifications", "cacheStats", "lastUsedAt", "webhooks", "deliveries", "lastSuccessAt"}
)
"""Fields whose values change without a user's write: documents selecting them bypass caching."""

DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024
ANALYSED_BUDGET_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """What caching needs to know of a request's document."""

    normalised: str
    cacheable: bool


class _FieldNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.names.add(node.name.value)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


class DocumentAnalyser:
    """Tells whether a document may be cached, each distinct document once. Documents are
    parsed by the shared parser (token limit applied while reading); the analyses are kept by
    a fingerprint of the document, in a memo bounded in bytes."""

    def __init__(
        self,
        *,
        max_tokens: int,
        parser: DocumentParser = documents,
        budget_bytes: int = ANALYSED_BUDGET_BYTES,
    ) -> None:
        self.max_tokens = max_tokens
        self.parser = parser
        self.memo: ByteBoundedMemo[tuple[bytes, str | None], Document] = ByteBoundedMemo(
            budget_bytes
        )

    def analyse(self, query: str, operation_name: str | None) -> Document | None:
        """None when the document does not parse (the GraphQL layer will say why)."""
        key = (digest(query), operation_name)
        result = self.memo.get(key)
        if result is not None:
            return result
        try:
            document = self.parser.parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        operation = _operation(document, operation_name)
        names = _FieldNames()
        visit(document, names)
        result = Document(
            normalised=print_ast(document),
            cacheable=(
                operation is not None
                and operation.operation is OperationType.QUERY
                and not names.names & VOLATILE_FIELDS
            ),
        )
        self.memo.put(key, result, 2 * len(result.normalised) + len(operation_name or ""))
        return result


def cache_key(
    *,
    version: int,
    viewer: str,
    document: Document,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    media_type: str = "application/json",
) -> str:
    """The key of a response: the same request answered in another media type differs."""
    material = json.dumps(
        [version, viewer, document.normalised, operation_name, variables or {}, media_type],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass
class CacheStats:
    hits: int
    misses: int
    entries: int
    bytes: int
    budget_bytes: int


class ResponseCache:
    """Response bodies by key, least recently used evicted first beyond the byte budget."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._version = -1
        self.hits = 0
        self.misses = 0

    def _size(self, key: str, body: bytes) -> int:
        return len(key) + len(body) + ENTRY_OVERHEAD

    def observe_version(self, version: int) -> None:
        """Another data version makes every entry unreachable: free them at once. Any change
        counts, not only a rise: a database emptied or restored starts the counter again."""
        if version != self._version:
            self._version = version
            self._entries.clear()
            self._bytes = 0

    def get(self, key: str) -> bytes | None:
        body = self._entries.get(key)
        if body is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return body

    def put(self, key: str, body: bytes) -> None:
        size = self._size(key, body)
        if size > self.budget_bytes:
            return
        if key in self._entries:
            self._bytes -= self._size(key, self._entries.pop(key))
        self._entries[key] = body
        self._bytes += size
        while self._bytes > self.budget_bytes:
            old_key, old_body = self._entries.popitem(last=False)
            self._bytes -= self._size(old_key, old_body)

    def stats(self) -> CacheStats:
        return CacheStats(
            hits=self.hits,
            misses=self.misses,
            entries=len(self._entries),
            bytes=self._bytes,
            budget_bytes=self.budget_bytes,
        )


def has_unexpected_errors(body: bytes) -> bool:
    """Responses with masked, unexpected errors are not kept: the next try may succeed."""
    return b'"INTERNAL"' in body
