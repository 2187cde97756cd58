"""The back office: staff, the audit trail, review, administration and the counter."""
