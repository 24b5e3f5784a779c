"""Example handlers, e.g. ``--handler dafnck_sdk.examples.summarizer:summarize``."""
