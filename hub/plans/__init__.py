"""Joint mentoring plans: the workflow, its rules and checks, and what a viewer may list."""
