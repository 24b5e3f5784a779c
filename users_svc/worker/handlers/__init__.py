"""Handlers of the users worker: parse the command, ask the domain, keep state, emit, answer.

``registration`` (CreateUser's email claim, then the user), ``profile`` (updates, roles,
deactivation, passwords), ``sessions`` (sign-in, refresh, sign-out, failures), ``machines``
(service accounts, API keys) and ``roles`` (custom roles) decide on ``user-commands`` and
``user-registrations``. They share ``aggregate_state`` (reading an aggregate's state),
``emission`` (events and the user view), ``refusals`` (domain refusals as replies) and
``worker_deps`` (clock, token policy).
"""
