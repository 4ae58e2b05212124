"""Sample placeholder values for the records emails (feedback), merged into test_templates.SAMPLES."""

SAMPLES = {
    "feedback_url": "https://training.example.com/feedback/412.Q7mX2pL9sD4k:8Hn3vR5tY1wZ6cB0aF2gJ4kM7pS9/",
}
# A session may have no trainer named (trainer_name's sample is in samples_records_attendance): the
# feedback request then thanks them for coming without a name.
OPTIONAL = {"trainer_name"}
FLAGS = set()
