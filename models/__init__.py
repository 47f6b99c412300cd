"""Tortoise ORM models, one module per aggregate."""

MODEL_MODULES = [
    "models.regions",
    "models.directory",
    "models.plans",
    "models.accounts",
    "models.notifications",
    "models.audit",
    "models.participation",
    "models.feeds",
    "models.integration",
    "models.reports",
    "models.webhooks",
]
