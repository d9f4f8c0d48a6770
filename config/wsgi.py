"""The WSGI application for gunicorn (docker-compose.yml, the Dockerfile) and runserver: Django set up, the
URLconf loaded and what start-up made frozen out of the collector's passes (config.warm)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.warm import warm_and_freeze  # noqa: E402 — after Django's setup, which the URLconf's import needs

warm_and_freeze()
