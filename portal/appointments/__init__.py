"""Appointments at delivery points and the state's offices (issue 18, item 8):
staff open slots with a capacity, people book, change or cancel a place, get a
reminder the day before, and staff mark who came (docs/appointments.md)."""
