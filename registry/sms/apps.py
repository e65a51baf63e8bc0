from django.apps import AppConfig


class SmsConfig(AppConfig):
    name = "registry.sms"
    label = "sms"
    verbose_name = "短信"
