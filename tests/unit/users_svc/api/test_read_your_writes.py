"""Read-your-writes: a route waits until the read model shows its command's effect."""

from __future__ import annotations

from users_svc.api.read_your_writes import view_matches

REPLY = {"display_name": "Ada", "updated_at": "2026-11-26T10:00:00.000200+00:00"}


def test_the_read_model_at_the_replys_version_matches() -> None:
    assert view_matches({"display_name": "Ada", "updated_at": REPLY["updated_at"]}, REPLY)


def test_a_later_change_of_the_same_user_counts_as_caught_up() -> None:
    # Concurrent updates: another request's newer name already overwrote this one's.
    later = {"display_name": "Grace", "updated_at": "2026-11-26T10:00:00.000300+00:00"}
    assert view_matches(later, REPLY)


def test_an_older_row_is_not_caught_up_even_with_equal_values() -> None:
    older = {"display_name": "Ada", "updated_at": "2026-11-26T10:00:00.000100+00:00"}
    assert not view_matches(older, REPLY)


def test_a_missing_row_is_not_caught_up() -> None:
    assert not view_matches(None, REPLY)
