from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "registry.records"
    label = "records"
    verbose_name = "人员信息"
