from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "registry.verification"
    label = "verification"
    verbose_name = "核验查询"
