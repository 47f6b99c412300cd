"""GraphQL of partner integration (DESIGN section 10): event kinds, the latest cursor,
subscriptions, calendar feeds."""
