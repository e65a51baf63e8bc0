from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "registry.imports"
    label = "imports"
    verbose_name = "存量数据导入与认领"
