from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Installed only so that Django finds the app's management commands."""

    name = "devtools"
