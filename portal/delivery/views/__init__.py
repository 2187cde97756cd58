"""The delivery point and the credential as its holder sees it."""
