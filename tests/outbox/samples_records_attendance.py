"""Sample placeholder values for the records emails (attendance), merged into test_templates.SAMPLES."""

SAMPLES = {}
OPTIONAL = set()
FLAGS = set()
