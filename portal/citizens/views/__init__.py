"""The citizen record's pages: sign-in and the person's own data."""
