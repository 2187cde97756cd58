"""The citizen record: the person, CURP, sign-in with the digital ID, their data."""
