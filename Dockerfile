# Production image of the reform portal: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, read from pyproject.toml, so a code change does not reinstall them.
# The project itself is not pip-installed: it runs from /app, where templates/, static/ and locale/ live.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Static files are collected once, at build time, with production storage (hashed, compressed names).
# The secrets here are throwaway: settings refuse DEBUG=0 without them, and collectstatic uses none.
RUN DEBUG=0 \
    SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only-0000 \
    ALLOWED_HOSTS=build.invalid \
    PERSONAL_DATA_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    PERSONAL_DATA_HASH_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home portal \
    && mkdir -p /app/media \
    && chown portal:portal /app/media
USER portal

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
