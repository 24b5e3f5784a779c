"""Helpers shared by test tiers (no tests here)."""
