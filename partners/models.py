"""API keys for partner organisations (issue 13): written by the helper that owns this room."""
