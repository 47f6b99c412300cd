"""GraphQL of partner integration: event kinds, the latest cursor, subscriptions."""
