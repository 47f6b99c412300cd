"""The ground floor: settings, database, errors, ids, data version, lookups, validation."""

from hub.core.database import (
    is_postgres,
    open_database,
    setup_lock,
    take_write_lock,
    write_transaction,
)
from hub.core.errors import (
    CapacityExceeded,
    Conflict,
    DoubleBooked,
    ErrorCode,
    Forbidden,
    HubError,
    HubErrors,
    Invalid,
    InvalidState,
    NotFound,
    Unauthenticated,
)
from hub.core.ids import decode_global_id, encode_global_id
from hub.core.lookup import Lookup
from hub.core.settings import Settings, SettingsError

__all__ = [
    "CapacityExceeded",
    "Conflict",
    "DoubleBooked",
    "ErrorCode",
    "Forbidden",
    "HubError",
    "HubErrors",
    "Invalid",
    "InvalidState",
    "Lookup",
    "NotFound",
    "Settings",
    "SettingsError",
    "Unauthenticated",
    "decode_global_id",
    "encode_global_id",
    "is_postgres",
    "open_database",
    "setup_lock",
    "take_write_lock",
    "write_transaction",
]
