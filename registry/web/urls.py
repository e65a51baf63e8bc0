from django.urls import path

from . import account_views, applicant_views, checks_views, review_views, staff_views, views

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
    path("apply/", applicant_views.start, name="apply"),
    path("apply/regions/", applicant_views.region_options, name="region_options"),
    path("apply/<uuid:application_id>/", applicant_views.status, name="apply_status"),
    path("apply/<uuid:application_id>/materials/", applicant_views.materials, name="apply_materials"),
    path("apply/<uuid:application_id>/materials/upload/", applicant_views.material_upload, name="apply_upload"),
    path(
        "apply/<uuid:application_id>/materials/<uuid:attachment_id>/delete/",
        applicant_views.material_delete,
        name="apply_material_delete",
    ),
    path(
        "apply/<uuid:application_id>/materials/<uuid:attachment_id>/checks/",
        checks_views.material_checks,
        name="apply_material_checks",
    ),
    path("apply/<uuid:application_id>/review/", applicant_views.review, name="apply_review"),
    path("apply/<uuid:application_id>/submit/", applicant_views.submit, name="apply_submit"),
    path("apply/<uuid:application_id>/withdraw/", applicant_views.withdraw, name="apply_withdraw"),
    path("apply/<uuid:application_id>/<slug:slug>/", applicant_views.step_view, name="apply_step"),
    path("apply/<uuid:application_id>/<slug:slug>/autosave/", applicant_views.autosave, name="apply_autosave"),
    path("record/", applicant_views.my_record, name="my_record"),
    path("record/transfer-out/", applicant_views.transfer_out, name="transfer_out"),
    path("staff/queue/", review_views.queue, name="review_queue"),
    path("staff/review/<uuid:application_id>/", review_views.review_page, name="review_page"),
    path("staff/review/<uuid:application_id>/claim/", review_views.claim, name="review_claim"),
    path("staff/review/<uuid:application_id>/decide/", review_views.decide, name="review_decide"),
    path("staff/districts/", review_views.districts, name="review_districts"),
    path("staff/review/<uuid:application_id>/revoke-code/", review_views.revoke_code, name="review_revoke_code"),
    path("staff/phone-recovery/", staff_views.phone_recovery, name="staff_phone_recovery"),
    path(
        "staff/phone-recovery/<uuid:recovery_id>/<str:action>/",
        staff_views.phone_recovery_decide,
        name="staff_phone_recovery_decide",
    ),
    path(
        "account/phone-recovery/<uuid:recovery_id>/cancel/",
        account_views.phone_recovery_cancel,
        name="phone_recovery_cancel",
    ),
    path("staff/users/", staff_views.staff_list, name="staff_users"),
    path("staff/users/<int:user_id>/districts/", staff_views.staff_districts, name="staff_districts"),
]
