"""Handlers of the users worker: parse the command, ask the domain, keep state, emit, answer.

``registration`` (CreateUser's email claim, then the user), ``profile`` (updates, roles,
deactivation, passwords) and ``sessions`` (sign-in, refresh, sign-out, failures) decide on
``user-commands``/``user-registrations``; ``support`` holds what they share.
"""
