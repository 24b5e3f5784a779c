"""Users context: identity, sessions and roles, as a Faust worker (app id ``users-svc``).

Read top to bottom, as the events flow: ``app`` (the Faust app and its agents, the only
wiring), ``handlers`` (parse, ask the domain, keep state, emit, reply), ``domain`` (pure
rules), ``projector`` and ``migrations`` (the Postgres read model). ``http`` and ``routes``
are the edge's side. The contract is DESIGN.md.
"""
