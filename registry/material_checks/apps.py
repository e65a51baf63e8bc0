from django.apps import AppConfig


class MaterialChecksConfig(AppConfig):
    name = "registry.material_checks"
    label = "material_checks"
    verbose_name = "材料自动检查"
