"""The developer commands of `streamview` (registered by entrypoints.cli)."""
