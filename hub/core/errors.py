"""The hub's coded errors.

Every expected failure of a service is a `HubError` carrying one of the API's error codes; the
GraphQL layer turns it into a `UserError` in a mutation payload, or a field error with
`extensions.code` in a query. Anything else that escapes is unexpected: logged with the request
id and masked for the client.

    HubError                 base: code, message, field path
    ├── NotFound             NOT_FOUND: the object does not exist or is not visible
    ├── Forbidden            FORBIDDEN: the viewer's role or scope does not allow it
    ├── Conflict             CONFLICT: a stale `version`
    ├── InvalidState         INVALID_STATE: not allowed in the object's current status
    ├── Invalid              INVALID: bad input, naming the field
    ├── CapacityExceeded     CAPACITY_EXCEEDED: more mentees than a mentor has free places
    └── DoubleBooked         DOUBLE_BOOKED: a mentor in two overlapping trainings
    HubErrors                several HubErrors reported together (validation of a whole input)
    Unauthenticated          an unknown, expired or revoked token (HTTP 401)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    CONFLICT = "CONFLICT"
    CAPACITY_EXCEEDED = "CAPACITY_EXCEEDED"
    DOUBLE_BOOKED = "DOUBLE_BOOKED"
    INVALID_STATE = "INVALID_STATE"


class HubError(Exception):
    """An expected failure with a stable code and a message a person understands."""

    code: ErrorCode = ErrorCode.INVALID

    def __init__(self, message: str, *, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = list(field) if field else None


class NotFound(HubError):
    code = ErrorCode.NOT_FOUND


class Forbidden(HubError):
    code = ErrorCode.FORBIDDEN


class Conflict(HubError):
    code = ErrorCode.CONFLICT


class InvalidState(HubError):
    code = ErrorCode.INVALID_STATE


class Invalid(HubError):
    code = ErrorCode.INVALID


class CapacityExceeded(HubError):
    code = ErrorCode.CAPACITY_EXCEEDED


class DoubleBooked(HubError):
    code = ErrorCode.DOUBLE_BOOKED


class HubErrors(Exception):
    """Several expected failures found together, reported together."""

    def __init__(self, errors: Iterable[HubError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(e.message for e in self.errors))

    @classmethod
    def raise_if_any(cls, errors: Sequence[HubError]) -> None:
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise cls(errors)


class Unauthenticated(Exception):
    """The request carried a token the hub does not accept."""
