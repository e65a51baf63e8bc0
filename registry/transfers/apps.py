from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "registry.transfers"
    label = "transfers"
    verbose_name = "调转"
