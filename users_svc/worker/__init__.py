"""The users worker (Faust app id ``users-svc``): command consumers, handlers, projectors."""
