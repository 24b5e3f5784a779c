"""Test doubles and harnesses of the users context: fakes, the api over fakes, the worker."""
