from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "registry.integrity"
    label = "integrity"
    verbose_name = "诚信记录"
