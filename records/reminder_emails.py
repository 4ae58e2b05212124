"""Refresher reminder emails: written by the helper that owns reminders."""
