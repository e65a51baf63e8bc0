from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="手机号码或身份证号码",
        max_length=18,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "inputmode": "text"}),
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # AuthenticationForm sizes the field to the phone column; an ID number is 18 characters.
        self.fields["username"].max_length = 18
        self.fields["username"].widget.attrs["maxlength"] = 18

    error_messages = {
        "invalid_login": "账号或密码不正确。请检查后重试。",
        "inactive": "该账号已停用，请联系所属区财政局。",
    }
