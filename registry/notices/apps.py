from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "registry.notices"
    label = "notices"
    verbose_name = "通知公告"

    def ready(self):
        from registry.accounts import identity

        from .selectors import UNREAD, unread_expression

        identity.add_session_column(UNREAD, unread_expression)
