"""Analytics context: event tracking now; windowed metrics, reports and live metrics next.

Read top to bottom: ``app`` (the Faust app and its agents), ``handlers``, ``domain``.
"""
