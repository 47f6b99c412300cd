"""Document limits in time linear in the document, and memos bounded in bytes.

A document's depth and alias count are measured with every fragment measured once: a fragment
spread twice in each of twenty fragments is still twenty measurements, not a million. Parsing
applies the token limit while it reads (graphql-core stops at the first token over it), and
each memo (parsed documents, validation results, cache analysis) evicts its least recently used
entries beyond a byte budget, whatever the size of the documents it is sent."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    validate,
)
from graphql.language.parser import Parser
from graphql.validation import ASTValidationRule, ValidationContext

K = TypeVar("K")
V = TypeVar("V")

ENTRY_OVERHEAD = 256
"""Bytes counted for each memo entry besides its own sizes: the dict slot, tuple and objects."""

BYTES_PER_TOKEN = 400
"""What one token of a parsed document keeps alive: its token, node and location objects."""

PARSED_BUDGET_BYTES = 16 * 1024 * 1024
VALIDATED_BUDGET_BYTES = 4 * 1024 * 1024


class ByteBoundedMemo(Generic[K, V]):
    """A least-recently-used memo whose entries' sizes (given by the caller) stay within a
    byte budget. An entry larger than the whole budget is not kept."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V, size: int) -> None:
        size += ENTRY_OVERHEAD
        if size > self.budget_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (value, size)
        self.bytes += size
        while self.bytes > self.budget_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0


def digest(text: str) -> bytes:
    """A short fingerprint of a document: memos keyed by it do not keep the text alive."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class DocumentParser:
    """Parses documents with the token limit applied while reading, each distinct one once.
    Documents and parse errors are kept in memos bounded in bytes; errors by the document's
    fingerprint, so that a refused megabyte is not kept alive by its refusal."""

    def __init__(self, budget_bytes: int = PARSED_BUDGET_BYTES) -> None:
        self.memo: ByteBoundedMemo[tuple[str, int], DocumentNode] = ByteBoundedMemo(budget_bytes)
        self.refused: ByteBoundedMemo[tuple[bytes, int], GraphQLError] = ByteBoundedMemo(
            budget_bytes // 16
        )

    def parse(self, query: str, *, max_tokens: int) -> DocumentNode:
        """The document, or a GraphQLError (syntax, or more than `max_tokens` tokens)."""
        key = (query, max_tokens)
        document = self.memo.get(key)
        if document is not None:
            return document
        fingerprint = (digest(query), max_tokens)
        refused = self.refused.get(fingerprint)
        if refused is not None:
            raise _copy(refused)
        parser = Parser(query, max_tokens=max_tokens)
        try:
            document = parser.parse_document()
        except GraphQLError as error:
            # Kept without its source (the document itself) or traceback.
            self.refused.put(fingerprint, _copy(error), 2 * len(error.message))
            raise
        # The document keeps its source text (locations point into it) and its tokens.
        tokens = parser._token_counter  # graphql-core keeps no public count
        self.memo.put(key, document, 2 * len(query) + BYTES_PER_TOKEN * tokens)
        return document


def _copy(error: GraphQLError) -> GraphQLError:
    """The error's message and locations, fresh: a raised error collects its traceback."""
    copy = GraphQLError(error.message, extensions=error.extensions)
    copy.locations = error.locations
    return copy


class DocumentValidator:
    """Validation results by document and rules, kept in a byte-bounded memo."""

    def __init__(self, budget_bytes: int = VALIDATED_BUDGET_BYTES) -> None:
        self.memo: ByteBoundedMemo[
            tuple[bytes, tuple[type[ASTValidationRule], ...]], list[GraphQLError]
        ] = ByteBoundedMemo(budget_bytes)

    def validate(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        rules: Sequence[type[ASTValidationRule]],
    ) -> list[GraphQLError]:
        key = (digest(query), tuple(rules))
        errors = self.memo.get(key)
        if errors is None:
            errors = validate(schema, document, rules)
            self.memo.put(key, errors, sum(256 + 2 * len(e.message) for e in errors))
        return errors


documents = DocumentParser()
"""The process's parsed documents, shared by the GraphQL layer and the response cache."""


class _Measure:
    """Depth and alias count of a document's operations, each fragment measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._fields: dict[str, int] = {}

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        """The deepest chain of fields with selections below `selection_set` (Strawberry's
        count: a leaf adds nothing, introspection fields are not counted)."""
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set is None or selection.name.value.startswith("__"):
                    continue
                deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(
                    deepest, self._fragment(selection.name.value, self._depths, self.depth)
                )
        return deepest

    def aliases(self, selection_set: SelectionSetNode | None) -> int:
        """Aliased fields below `selection_set`, fragments counted at every spread."""
        if selection_set is None:
            return 0
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += (selection.alias is not None) + self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection.name.value, self._aliases, self.aliases)
        return count

    def fields(self, selection_set: SelectionSetNode | None) -> int:
        """Fields below `selection_set` once every fragment spread is expanded."""
        if selection_set is None:
            return 0
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += 1 + self.fields(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection.name.value, self._fields, self.fields)
        return count

    def _fragment(
        self,
        name: str,
        memo: dict[str, int],
        measure: Callable[[SelectionSetNode | None], int],
    ) -> int:
        if name in memo:
            return memo[name]
        fragment = self.fragments.get(name)
        memo[name] = 0  # a cycle (refused by another rule) measures nothing
        if fragment is not None:
            memo[name] = measure(fragment.selection_set)
        return memo[name]


def operations(document: DocumentNode) -> Iterable[OperationDefinitionNode]:
    return (d for d in document.definitions if isinstance(d, OperationDefinitionNode))


def limit_rule(max_depth: int, max_aliases: int, max_fields: int) -> type[ASTValidationRule]:
    """A validation rule refusing operations deeper than `max_depth`, documents with more than
    `max_aliases` aliases (messages as Strawberry's), and operations that select more than
    `max_fields` fields once their fragments are expanded, in time linear in the document.

    The field limit is what keeps every later walk over the selections (execution, planned
    loading, `info.selected_fields`) in proportion to the document: twenty fragments that each
    spread the previous one twice select a million fields. The hub sets it to the token limit,
    which a document without fragments can never exceed (every field takes a token)."""

    class DocumentLimitRule(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measure = _Measure(context.document)
            aliases = 0
            for operation in operations(context.document):
                if measure.depth(operation.selection_set) > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}", operation
                        )
                    )
                fields = measure.fields(operation.selection_set)
                if fields > max_fields:
                    name = operation.name.value if operation.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' selects {fields} fields once its fragments are expanded;"
                            f" the limit is {max_fields}",
                            operation,
                        )
                    )
                aliases += measure.aliases(operation.selection_set)
            if aliases > max_aliases:
                context.report_error(
                    GraphQLError(f"{aliases} aliases found. Allowed: {max_aliases}")
                )

    return DocumentLimitRule
