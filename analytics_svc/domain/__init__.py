"""The analytics domain: pure rules over what is known of each aggregate from its events."""
