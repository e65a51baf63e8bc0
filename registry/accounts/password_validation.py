import re

from django.core.exceptions import ValidationError


class LettersAndDigitsValidator:
    """A password must mix letters and digits (PRODUCT.md: at least 8 characters, letters and digits)."""

    def validate(self, password, user=None):
        if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
            raise ValidationError("密码须同时包含字母和数字", code="weak_password")

    def get_help_text(self):
        return "密码须同时包含字母和数字。"


class NotPhoneOrIdNumberValidator:
    """A password must not contain the account's phone or ID number."""

    def validate(self, password, user=None):
        if user is None:
            return
        lowered = password.lower()
        for value in (getattr(user, "phone", None), getattr(user, "id_number", None)):
            if value and value.lower() in lowered:
                raise ValidationError("密码不能包含手机号码或证件号码", code="weak_password")

    def get_help_text(self):
        return "密码不能包含手机号码或证件号码。"
