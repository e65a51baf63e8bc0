from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "registry.core"
    label = "core"
    verbose_name = "代码表与日历"

    def ready(self):
        from .request_id import install_log_record_factory

        install_log_record_factory()
