from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "registry.credits"
    label = "credits"
    verbose_name = "继续教育"
