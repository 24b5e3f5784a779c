"""Kafka topic administration the runtime needs: describe, create and wait for topics."""
