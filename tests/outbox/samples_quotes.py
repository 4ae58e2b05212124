"""Sample placeholder values for the quotes emails, merged into test_templates.SAMPLES."""

SAMPLES = {}
OPTIONAL = set()
FLAGS = set()
