"""The coordinating secretariat (issue 17, items 5-7): reporting calendar, validation, messages."""
