"""Sample placeholder values for the records emails (feedback), merged into test_templates.SAMPLES."""

SAMPLES = {}
OPTIONAL = set()
FLAGS = set()
