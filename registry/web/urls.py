from django.urls import path

from . import account_views, staff_views, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/", views.contacts, name="contacts"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_view, name="register"),
    path("password-reset/", views.password_reset_view, name="password_reset"),
    path("sms-code/", views.sms_code_view, name="sms_code"),
    path("account/", account_views.profile, name="profile"),
    path("account/password/", account_views.password_change, name="password_change"),
    path("staff/phone-recovery/", staff_views.phone_recovery, name="staff_phone_recovery"),
    path("staff/users/", staff_views.staff_list, name="staff_users"),
]
