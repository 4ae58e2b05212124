"""Sample placeholder values for the in_house emails, merged into test_templates.SAMPLES."""

SAMPLES = {
    # Off in the shared samples, so every kind reads as for a public booking; test_templates
    # renders the kinds that use it a second time with it on (<kind>.in_house.html).
    "in_house": "",
    "trainer": "Morgan Hale",
    "capacity": "12",
    "agreed_price": "De-escalation Skills, in-house, day rate: 2 × £950.00 = £1,900.00\nTravel: 1 × £120.00 = £120.00",
    "registration_link": "https://training.example.com/register/41.Qm7vRk2p0aQ4:H5jK8lMq3Xs9vB2nC6dE0fG4hJ/",
    "register_closes": "Mon 2 March 2026, 09:30",
    "places_left": "3 places left",
}
OPTIONAL = {"in_house"}
FLAGS = {"in_house"}
