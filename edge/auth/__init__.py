"""The edge's identity layer: RS256 keys, local token verification, revocation, route guards.

Verification (``verify``, ``jwks``, ``denylist``, ``middleware``) never imports ``keys``:
the edge only verifies, against the JWKS the users service publishes.
"""
