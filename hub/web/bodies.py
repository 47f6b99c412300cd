"""Reading a GraphQL request before anything else looks at it: size, encoding, JSON shape.

A POST body is read chunk by chunk and refused with 413 as soon as it passes the size limit
(a `Content-Length` over it is refused before reading at all; chunked bodies are counted as
they come). It must be UTF-8 JSON, an object, nested no deeper than `MAX_JSON_DEPTH`, with
integers of reasonable length; GET's `variables` parameter is held to the same rules. Every
refusal is a `BodyRefused` carrying its HTTP status and a GraphQL error code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

MAX_JSON_DEPTH = 64
"""Arrays and objects nested in a body or in variables; GraphQL inputs never need more."""

MAX_INTEGER_DIGITS = 40
"""Digits of a JSON integer: more than any GraphQL scalar can hold, far below Python's limit."""


class BodyRefused(Exception):
    """A request refused before its document is looked at."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class GraphQLRequest:
    """The parts of a GraphQL request, checked for shape (not yet parsed as a document)."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def media_type(header: str | None) -> str:
    """`APPLICATION/JSON; charset=utf-8` -> `application/json` (media types ignore case)."""
    return (header or "").split(";", 1)[0].strip().lower()


GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def response_media_type(accept: str | None) -> str:
    """The media type of the answer: the GraphQL-over-HTTP one when the client accepts it
    (unless it prefers plain JSON by quality), `application/json` otherwise."""
    best, best_quality = JSON, -1.0
    for part in (accept or "").split(","):
        kind = media_type(part)
        if kind not in {GRAPHQL_RESPONSE, JSON}:
            continue
        quality = 1.0
        for parameter in part.split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # Equal qualities: the GraphQL-over-HTTP type wins, whatever the order.
        if quality > best_quality or (quality == best_quality and kind == GRAPHQL_RESPONSE):
            best, best_quality = kind, quality
    return best if best_quality > 0 else JSON


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise BodyRefused(
            400, "INVALID", f"a JSON integer has more than {MAX_INTEGER_DIGITS} digits"
        )
    return int(text)


def _constant(text: str) -> float:
    raise BodyRefused(400, "INVALID", f"{text} is not JSON")


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (iterative: no recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, level) for child in children)
    return deepest


def decode_json(raw: bytes | str, *, what: str = "the request body") -> Any:
    """JSON from UTF-8 bytes or text, or `BodyRefused` (400) saying what is wrong with it."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise BodyRefused(400, "INVALID", f"{what} is not UTF-8") from None
    try:
        value = json.loads(text, parse_int=_integer, parse_constant=_constant)
    except RecursionError:
        raise BodyRefused(
            400, "INVALID", f"{what} nests deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    except ValueError as error:
        raise BodyRefused(400, "INVALID", f"{what} is not valid JSON: {error}") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise BodyRefused(400, "INVALID", f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    return value


async def read_body(request: Request, *, limit: int) -> bytes:
    """The whole body, refused with 413 once it is longer than `limit` bytes."""
    too_large = BodyRefused(
        413, "PAYLOAD_TOO_LARGE", f"the request body is larger than {limit} bytes"
    )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise BodyRefused(400, "INVALID", "Content-Length is not a number")
        if int(declared) > limit:
            raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette's cache of the body: later readers get it, not the stream
    return body


def _request_of(data: Any) -> GraphQLRequest:
    if not isinstance(data, Mapping):
        raise BodyRefused(
            400, "INVALID", "a GraphQL request is a JSON object with `query` and `variables`"
        )
    query, variables = data.get("query"), data.get("variables")
    name, extensions = data.get("operationName"), data.get("extensions")
    if not isinstance(query, str | None):
        raise BodyRefused(400, "INVALID", "`query` must be a string")
    if not isinstance(variables, dict | None):
        raise BodyRefused(400, "INVALID", "`variables` must be an object or null")
    if not isinstance(name, str | None):
        raise BodyRefused(400, "INVALID", "`operationName` must be a string or null")
    if not isinstance(extensions, dict | None):
        raise BodyRefused(400, "INVALID", "`extensions` must be an object or null")
    return GraphQLRequest(
        query=query, variables=variables, operation_name=name, extensions=extensions
    )


async def read_graphql_request(request: Request, *, max_body_bytes: int) -> GraphQLRequest:
    """The GraphQL request of a GET (query string) or POST (JSON body), or `BodyRefused`."""
    if request.method == "GET":
        params = request.query_params
        data: dict[str, Any] = {
            "query": params.get("query"),
            "operationName": params.get("operationName"),
        }
        for part in ("variables", "extensions"):
            raw = params.get(part)
            if raw:
                data[part] = decode_json(raw, what=f"the `{part}` parameter")
        return _request_of(data)
    if media_type(request.headers.get("content-type")) != "application/json":
        raise BodyRefused(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST a JSON body with Content-Type: application/json",
        )
    body = await read_body(request, limit=max_body_bytes)
    return _request_of(decode_json(body))
