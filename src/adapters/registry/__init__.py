"""The schema registry, through python-schema-registry-client (Confluent's REST API)."""
