"""The HTTP edge: request ids, the response cache and document analysis, GraphiQL."""
