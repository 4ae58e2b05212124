"""Written by the helper that owns this module."""
