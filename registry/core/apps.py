from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "registry.core"
    label = "core"
    verbose_name = "代码表与日历"

    def ready(self):
        from django.core.signals import request_started
        from django.db.models.signals import post_delete, post_save

        from . import refdata
        from .models import Code, Region
        from .request_id import install_log_record_factory

        install_log_record_factory()
        # Reference data is held per process (refdata): an edit anywhere reaches every process.
        request_started.connect(refdata.new_request, dispatch_uid="refdata.new_request")
        for model in (Region, Code):
            post_save.connect(refdata.changed, sender=model, dispatch_uid=f"refdata.save.{model.__name__}")
            post_delete.connect(refdata.changed, sender=model, dispatch_uid=f"refdata.delete.{model.__name__}")
