from django.contrib.auth.backends import BaseBackend

from registry.accounts.backends import normalize_username
from registry.accounts.models import User


class ImportedPasswordBackend(BaseBackend):
    """After the account backend: an ID number without an account, whose imported record carries
    the old system's password hash, logs in with that password once — which claims the record."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = normalize_username(username)
        if not username or password is None or (username.isdigit() and len(username) == 11):
            return None
        if User.objects.filter(id_number=username).exists():
            return None
        from .claims import claim_with_old_password

        return claim_with_old_password(id_number=username, password=password)

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id, is_active=True).first()
