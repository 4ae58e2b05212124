"""Sample placeholder values for the records emails (certificates), merged into test_templates.SAMPLES."""

SAMPLES = {}
OPTIONAL = set()
FLAGS = set()
