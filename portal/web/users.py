"""What flask-login asks of a signed-in user, shared by citizens and staff (no Flask needed)."""

from __future__ import annotations


class SignedInUser:
    """What flask-login asks of a user (kept here so models need no Flask)."""

    id: int  # the model's primary key
    id_prefix = ""
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return getattr(self, "active", True)

    def get_id(self) -> str:
        return f"{self.id_prefix}:{self.id}"
