"""Per-route-group rate limits in Redis (GCRA), with IETF ``RateLimit-*`` headers."""
