from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "registry.stats"
    label = "stats"
    verbose_name = "统计与导出"
