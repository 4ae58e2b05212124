"""Sample placeholder values for the records emails (reminders), merged into test_templates.SAMPLES."""

SAMPLES = {}
OPTIONAL = set()
FLAGS = set()
