"""One execution per event for the subscribers who would get the same result.

A thousand subscribers of `planEvents` with the same document, the same variables and the same
viewer get the same bytes for each event; executing the selection a thousand times was most of
the fan-out's time. Each event's payload object is shared by its subscribers and carries a memo
(`share_results`); the subscription's executor runs the selection once per event and sharing
key, and every other subscriber of that key awaits the same result. The key is exactly what the
result can depend on:

- the document's text and the operation's name;
- the variables used anywhere below the root field (the root field's own arguments, such as
  `filter` and `after`, only choose which events arrive, and are already applied);
- the viewer as a whole (account, role, centre, community, locale): every field that differs
  between viewers reads it from there, so equal viewers see equal results and a viewer never
  receives what was executed for another.

The transport then makes the text of a shared result's `next` message once (all of it but the
subscription's id, `next_message_text`), and writes it to each subscriber's socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, cast

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

from schema.errors import publish

_RESULTS = "_hub_shared_results"


class SharedData(dict[str, Any]):
    """A result's `data`, shared by every subscriber of one sharing key, with its JSON text once
    the first of them serialized it."""

    json: str | None = None
    tail: tuple[Any, Any, str] | None = None
    """The last `next` message made of it but its id: its errors, its extensions, the text."""


def share_results(payload: object, memo: dict[str, object]) -> object:
    """Mark an event's payload object as shared: results executed on it are kept in `memo`
    (the event's, dropped with it)."""
    results = memo.setdefault("results", {})
    object.__setattr__(payload, _RESULTS, results)
    return payload


class _Variables(Visitor):
    """The variables a selection uses, except in the root fields' arguments."""

    def __init__(self, root_fields: set[int]) -> None:
        super().__init__()
        self.root_fields = root_fields
        self.names: set[str] = set()

    def enter_variable_definition(self, *_: Any) -> Any:
        return False  # a declaration, not a use

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        if id(node) in self.root_fields:
            # Visit its directives and selection, never its arguments.
            for directive in node.directives or ():
                visit(directive, self)
            if node.selection_set is not None:
                visit(node.selection_set, self)
            return False
        return None

    def enter_variable(self, node: VariableNode, *_: Any) -> Any:
        self.names.add(node.name.value)


def document_key(
    operation: OperationDefinitionNode,
    fragments: Iterable[FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> Hashable | None:
    """What of a subscription's request its events' results depend on, besides the viewer:
    None when it is not worked out (a fragment at the root), and then nothing is shared."""
    selections = operation.selection_set.selections
    if not all(isinstance(s, FieldNode) for s in selections):
        return None  # a root fragment: not worth the analysis, executed per subscriber
    root_fields = {id(s) for s in selections}
    used = _Variables(root_fields)
    visit(operation, used)
    for fragment in fragments:
        visit(fragment, used)
    values = json.dumps(
        {name: variables.get(name) for name in sorted(used.names)}, sort_keys=True, default=repr
    )
    source = operation.loc.source.body if operation.loc is not None else print_ast(operation)
    name = operation.name.value if operation.name is not None else None
    return (source, name, values)


class SharingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, executing a subscription's event once per sharing key, and
    giving each event's errors their public form (codes; unexpected ones masked and logged)."""

    _per_event = False
    _shared: tuple[dict[Hashable, asyncio.Future[ExecutionResult]], Hashable] | None = None
    _document: tuple[Hashable | None] | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        results = getattr(payload, _RESULTS, None)
        key = self._sharing_key() if results is not None else None
        if results is not None and key is not None:
            future = results.get(key)
            if future is not None:  # made, or being made, for another subscriber: no copy
                return _Awaiting(future)
        executor = cast(SharingExecutionContext, super().build_per_event_executor(payload))
        executor._per_event = True
        if results is not None and key is not None:
            executor._shared = (results, key)
        return executor

    def _sharing_key(self) -> Hashable | None:
        """The subscription's sharing key (None: executed per subscriber)."""
        if self._document is None:
            self._document = (
                document_key(
                    self.operation,
                    self.fragment_definitions.values(),
                    self.variable_values.coerced,
                ),
            )
        document = self._document[0]
        viewer = getattr(self.context_value, "viewer", None)
        if document is None or viewer is None:
            return None
        return (document, viewer)

    def execute_operation(self, serially: bool | None = None) -> Any:
        if not self._per_event:
            return super().execute_operation(serially)
        if self._shared is None:
            return self._execute_event(serially)
        results, key = self._shared
        future = results.get(key)
        if future is None:
            future = asyncio.ensure_future(self._execute_event(serially))
            # Retrieved here too: every subscriber of the key may have left before it ended.
            future.add_done_callback(_retrieve)
            results[key] = future
        return _shared_result(future)

    async def _execute_event(self, serially: bool | None) -> ExecutionResult:
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.errors:
            result.errors = publish(result.errors)
        if self._shared is not None and result.data is not None:
            result.data = SharedData(result.data)
        return result


class _Awaiting:
    """A subscriber's event whose shared result another subscriber's executor makes."""

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[ExecutionResult]) -> None:
        self.future = future

    def execute_operation(self, serially: bool | None = None) -> Any:
        return _shared_result(self.future)


def _shared_result(future: asyncio.Future[ExecutionResult]) -> Any:
    """The result once made (its error raised as awaiting would), else an awaitable of it: a
    subscriber that leaves while it is made does not cancel it for the others."""
    if future.done():
        return future.result()
    return asyncio.shield(future)


def _retrieve(future: asyncio.Future[ExecutionResult]) -> None:
    if not future.cancelled():
        future.exception()


WEBSOCKET_SEND = "hub.websocket_send"
"""Where the app's outermost middleware keeps a WebSocket's own ASGI `send` (the server's), in
the connection's scope. The middlewares between it and the route only look at HTTP responses'
starts, so a `websocket.send` may go to it directly."""


class SharingTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws, sending a shared result as text made once per result: the whole
    `next` message but its subscription id, which is put in front of it per subscriber. The
    text goes to the server's own `send` (when the app kept it, see `WEBSOCKET_SEND`), not
    through the middlewares' wrappers and Starlette's per-message checks."""

    async def send_message(self, message: Message) -> None:
        payload: Any = message.get("payload")
        socket = getattr(self.websocket, "ws", None)
        if (
            message["type"] != "next"
            or not isinstance(payload, dict)
            or not isinstance(payload.get("data"), SharedData)
            or not isinstance(socket, WebSocket)
        ):
            await super().send_message(message)
            return
        text = next_message_text(message["id"], payload)
        send = socket.scope.get(WEBSOCKET_SEND)
        try:
            if send is None or socket.application_state != WebSocketState.CONNECTED:
                await socket.send_text(text)  # Starlette's checks and errors
            else:
                try:
                    await send({"type": "websocket.send", "text": text})
                except OSError as error:  # the client left (as Starlette's send tells it)
                    raise WebSocketDisconnect(code=1006) from error
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


def next_message_text(operation_id: str, payload: Mapping[str, Any]) -> str:
    """The `next` message's JSON text for a shared result's payload. Everything after the id is
    kept on the result's `SharedData` and made again only for a payload whose errors or
    extensions differ from the last one's (the subscribers of one result get equal ones)."""
    data: SharedData = payload["data"]
    errors = payload.get("errors")
    extensions = payload.get("extensions")
    tail = data.tail
    if tail is None or tail[0] != errors or tail[1] != extensions:
        if data.json is None:
            data.json = json.dumps(data)
        parts = [',"type":"next","payload":{"data":', data.json]
        if "errors" in payload:
            parts.append(f',"errors":{json.dumps(errors)}')
        if "extensions" in payload:
            parts.append(f',"extensions":{json.dumps(extensions)}')
        parts.append("}}")
        tail = data.tail = (errors, extensions, "".join(parts))
    return f'{{"id":{json.dumps(operation_id)}{tail[2]}'


__all__ = [
    "WEBSOCKET_SEND",
    "SharedData",
    "SharingExecutionContext",
    "SharingTransportWSHandler",
    "document_key",
    "next_message_text",
    "share_results",
]
