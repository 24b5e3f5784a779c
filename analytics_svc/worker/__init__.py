"""The analytics worker: the Faust app (group analytics-consumers) and its handlers."""
