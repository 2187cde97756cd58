"""Complaints and reports (quejas y denuncias) about programs, offices, staff and deliveries."""
