from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "registry.applications"
    label = "applications"
    verbose_name = "采集申请"
