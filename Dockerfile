# One image for every process of the stack: web (gunicorn), worker and beat (celery).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code changes do not reinstall them.
# psycopg2-binary and the other wheels need no compiler on this base image.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself. Translations (.mo) are committed, so gettext is not needed here.
COPY . .
RUN pip install --no-deps -e . \
    && SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app/media \
    && chown app /app/media

USER app

EXPOSE 8000

# docker-compose.yml overrides this per service (web runs migrations first).
CMD ["gunicorn", "config.wsgi", "-b", "0.0.0.0:8000", "-w", "4", "--logger-class", "config.gunicorn_logging.MaskingLogger"]
