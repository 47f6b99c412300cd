"""Joint mentoring plans: the workflow, its rules and checks, and what a viewer may list."""

from hub.plans.queries import plan_query, training_query

__all__ = ["plan_query", "training_query"]
