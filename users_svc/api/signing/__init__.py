"""The access-token signing keys: the RS256 ring, its directory on disk, the ``dafnck keys`` CLI."""
