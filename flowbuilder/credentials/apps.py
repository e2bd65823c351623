import logging

from django.apps import AppConfig
from django.core import checks

log = logging.getLogger("flowbuilder.credentials")


class CredentialsConfig(AppConfig):
    name = "flowbuilder.credentials"
    label = "credentials"
    verbose_name = "Connections and credentials"

    def ready(self) -> None:
        from . import vault

        # Fail at start-up, naming the variable, rather than on the first connection a run opens.
        vault.get_vault()
        if vault.is_production() and vault.uses_dev_key():
            log.warning("!" * 20 + " " + vault.DEV_KEY_WARNING + " " + "!" * 20)
        checks.register(check_secret_keys, checks.Tags.security)


def check_secret_keys(app_configs=None, **kwargs):
    from . import vault

    if vault.is_production() and vault.uses_dev_key():
        return [checks.Warning(vault.DEV_KEY_WARNING, id="credentials.W001")]
    return []
