"""URLs of the account pages (included at /account/ by config/urls.py)."""

from django.urls import path

from portal.accounts import views

urlpatterns = [
    path("two-factor/enrol/", views.two_factor_enrol, name="two-factor-enrol"),
    path("two-factor/qr.svg", views.two_factor_qr, name="two-factor-qr"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("security/", views.security, name="security"),
    path("security/recovery-codes/", views.recovery_codes_renew, name="recovery-codes-renew"),
    path("password/", views.password_link_set, name="password-link-set"),
    path("password/<str:code>/", views.password_link, name="password-link"),
    path("tokens/", views.api_tokens, name="api-tokens"),
    path(
        "tokens/<int:token_id>/rotate/", views.api_token_action, {"action": "rotate"}, name="api-token-rotate"
    ),
    path(
        "tokens/<int:token_id>/revoke/", views.api_token_action, {"action": "revoke"}, name="api-token-revoke"
    ),
]
