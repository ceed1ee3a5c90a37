"""Shared API plumbing below every app: errors, parsing, pagination and strict serializers,
schema hooks, middleware, bulk writes and the database-outage gate. It imports no app;
config (settings, urls) and every app import it."""
