"""The analytics context: every context's events tracked per aggregate (``analytics-consumers``).

Read ``DESIGN.md`` first, then ``worker/app.py`` (the Faust app and its consumers),
``worker/handlers.py`` and ``domain/activity.py``.
"""
