"""Routers of the API, one module per area: scores, jobs, history, health."""
