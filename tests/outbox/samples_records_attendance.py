"""Sample placeholder values for the records emails (attendance), merged into test_templates.SAMPLES."""

SAMPLES = {
    "session_dates": "Tue 3 March 2026, 09:30-16:30\nWed 4 March 2026, 09:30-16:00",
    "trainer_name": "Helen Ward",
    "attendance_url": "https://training.example.com/records/attendance/41.Hq3sD8wL2nP6tR0y:Zx8vRk2p0aQ4mT7yB1nC5dE9fG3/",
    "attendance_list": "Sam Jones: attended\nAlex Reid: day 1 attended, day 2 left early\nJo Patel: absent",
    "certificate_count": "1",
    "training_record_url": "https://training.example.com/records/training-record/K7PX3M9Q.Zx8vRk:G3hJ6kLq2Ws8/",
}
OPTIONAL = set()
FLAGS = set()
