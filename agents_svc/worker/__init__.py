"""The agents worker: the scheduling shard (commands, clock), its journaled table, the projector."""
