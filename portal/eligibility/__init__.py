"""Eligibility: the engine, profile fields, questions, answers and the questionnaire."""
