"""GraphQL of partner integration (DESIGN section 10)."""
