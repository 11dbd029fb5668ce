"""The JSON API v1 (public signing and counts, keyed reads, its OpenAPI document) and OSDI.
May import: domain/, models and web/'s shared modules; never db/ but its pool and outages."""
