"""The public JSON API for apps, mini-programs and founders' tools: /api/v1, described by
the OpenAPI document at /api/v1/openapi.json (docs/api.md). It composes the features'
services as the pages do; no feature imports it."""
