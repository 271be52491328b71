"""The view plug-ins: one package per view of the event stream, each with its own hexagon."""
