"""GraphQL of email notifications: delivery status for staff, preferences for everyone."""
