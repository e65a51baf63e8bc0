from django import forms

PHONE_ATTRS = {"inputmode": "numeric", "autocomplete": "tel", "maxlength": 11, "placeholder": "11位手机号码"}
CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6, "placeholder": "6位验证码"}


class LoginForm(forms.Form):
    username = forms.CharField(
        label="手机号码或身份证号码",
        # 18 characters and the spaces people type in groups ("110105 19491231 002X"): the
        # server drops them (accounts.backends.normalize_username), the browser must not cut first.
        max_length=30,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PasswordPairMixin(forms.Form):
    password = forms.CharField(
        label="设置密码",
        strip=False,
        help_text="至少8位，须同时包含字母和数字，不能包含手机号码或证件号码。",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="再次输入密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", "两次输入的密码不一致")
        return data


class RegisterForm(PasswordPairMixin):
    phone = forms.CharField(label="手机号码", max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS))
    sms_code = forms.CharField(label="短信验证码", max_length=6, widget=forms.TextInput(attrs=CODE_ATTRS))
    field_order = ["phone", "sms_code", "password", "password2"]


class PasswordResetForm(PasswordPairMixin):
    id_number = forms.CharField(
        label="身份证号码", max_length=18, required=False, help_text="已完成信息采集的人员必填；尚未采集的可不填。"
    )
    phone = forms.CharField(label="注册手机号码", max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS))
    sms_code = forms.CharField(label="短信验证码", max_length=6, widget=forms.TextInput(attrs=CODE_ATTRS))
    field_order = ["id_number", "phone", "sms_code", "password", "password2"]


class PasswordChangeForm(PasswordPairMixin):
    old_password = forms.CharField(
        label="当前密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["old_password", "password", "password2"]


class PhoneChangeForm(forms.Form):
    password = forms.CharField(
        label="当前密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_phone = forms.CharField(label="新手机号码", max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS))
    sms_code = forms.CharField(label="发送到新号码的验证码", max_length=6, widget=forms.TextInput(attrs=CODE_ATTRS))


class PhoneRecoveryForm(forms.Form):
    id_number = forms.CharField(label="人员身份证号码", max_length=18)
    identity_check = forms.CharField(
        label="身份核验方式",
        max_length=200,
        help_text="如：本人到场，核验身份证原件并比对照片；或单位出具证明并电话核实。",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_phone = forms.CharField(label="新手机号码", max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS))


class StaffCreateForm(forms.Form):
    phone = forms.CharField(label="手机号码（登录名）", max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS))
    name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="角色", choices=[("reviewer", "区财政局审核员"), ("admin", "市财政局管理员")])
    districts = forms.MultipleChoiceField(
        label="负责的区（审核员必选，可多选）",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, district_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["districts"].choices = list(district_choices)
