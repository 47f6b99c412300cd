"""The ground floor: settings, database, errors, ids, data version, lookups, validation."""
