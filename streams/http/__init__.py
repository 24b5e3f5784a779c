"""The HTTP toolkit routes use: permissions, bodies, OpenAPI, problem+json, principals, commands."""
