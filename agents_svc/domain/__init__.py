"""The scheduling shard's decisions: pure functions of typed state, commands in, events out."""
