"""Kafka adapters: the consumed topic, the dead-letter topic, end offsets and readiness."""
