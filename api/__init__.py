"""The Crossbar REST API (flask-restx, /v2, Swagger UI)."""
