from django.contrib.auth.backends import ModelBackend

from . import identity
from .models import User


def normalize_username(username: str | None) -> str:
    return (username or "").strip().replace(" ", "").upper()


class PhoneOrIdNumberBackend(ModelBackend):
    """Log in with the phone number or, once collected, the ID number (PRODUCT.md "Accounts")."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = normalize_username(username or kwargs.get(User.USERNAME_FIELD))
        if not username or password is None:
            return None
        field = "phone" if username.isdigit() and len(username) == 11 else "id_number"
        user = User.objects.filter(**{field: username}).first()
        if user is None:
            User().set_password(password)  # same work for unknown users: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The session's user on every web request: one cheap statement (with a reviewer's districts),
        None once deactivated, as ModelBackend answers."""
        return identity.user_by_id(user_id)
