"""The integration API's top layer: URLs, authentication, idempotency, error mapping."""
