from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "registry.accounts"
    label = "accounts"
    verbose_name = "用户与角色"

    def ready(self):
        from . import api_keys  # noqa: F401 — connects the signals that drop cached API keys
