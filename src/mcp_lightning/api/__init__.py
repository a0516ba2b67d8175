"""The scoring REST API (``mcpln serve``): FastAPI app factory, routes, schemas, middleware.

``create_app(settings)`` builds the app; ``mcpln serve`` runs it under uvicorn. See
``api.settings`` for the configuration table and ``api.routes`` for the endpoints.
"""
