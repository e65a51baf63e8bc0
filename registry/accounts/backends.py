from django.contrib.auth.backends import ModelBackend

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
