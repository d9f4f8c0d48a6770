"""Celery application. Tasks run eagerly (in-process, errors propagated) when no broker is configured."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("yibao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
