from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """How people sign in: passwords with lockout, single sign-on per organisation, request budgets."""

    name = "flowbuilder.identity"
    label = "identity"
    verbose_name = "Sign-in"
