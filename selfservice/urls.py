"""URLs of the self-service: account pages, the worker's /me/ pages, and the union office's pages."""

from django.urls import path

from selfservice import office, views

urlpatterns = [
    path("activate/", views.activate, name="activate"),
    path("activate/password/", views.activate_password, name="activate-password"),
    path("activate/code/", views.activate_with_code, name="activate-code"),
    path("me/", views.me, name="me"),
    path("me/notices/", views.notices, name="me-notices"),
    path("me/claims/<int:claim_id>/", views.claim_detail, name="me-claim"),
    path("me/claims/<int:claim_id>/submitted/", views.claim_submitted, name="me-claim-submitted"),
    path("me/claims/<int:claim_id>/receipt/", views.claim_receipt, name="me-claim-receipt"),
    path("me/cases/<int:case_id>/", views.case_detail, name="me-case"),
    path("me/cases/<int:case_id>/submitted/", views.case_submitted, name="me-case-submitted"),
    path("me/apply/subsidy/", views.apply_subsidy, name="me-apply-subsidy"),
    path("me/apply/tuition/", views.apply_tuition, name="me-apply-tuition"),
    path("me/apply/mediation/", views.apply_mediation, name="me-apply-mediation"),
    path("me/bank-account/", views.bank_account, name="me-bank-account"),
    path(
        "me/bank-account/<int:change_id>/submitted/",
        views.bank_account_submitted,
        name="me-bank-account-submitted",
    ),
    path("office/inbox/", office.inbox, name="office-inbox"),
    path("office/claims/<int:claim_id>/receipt/", office.claim_receipt, name="office-claim-receipt"),
    path("office/bank-accounts/<int:change_id>/", office.bank_change, name="office-bank-change"),
    path("office/activation-codes/", office.issue_code, name="office-issue-code"),
    path(
        "office/workers/<int:worker_id>/activation-code/",
        office.issue_code_for_worker,
        name="office-issue-code-for-worker",
    ),
]
