from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "registry.review"
    label = "review"
    verbose_name = "审核"
