# factcheck — production image: gunicorn serving Django, static files via WhiteNoise.
# The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Unprivileged user that owns the code (SQLite fallback needs /app writable).
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first so code changes do not invalidate this layer.
# Every pinned requirement ships a manylinux wheel: no compiler or libpq needed.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=app:app . .

USER app

# Build-time only: settings refuse to load without SECRET_KEY when DEBUG is off.
# The dummy key lives in this RUN line's environment only, never in the image.
RUN SECRET_KEY=collectstatic-build-only-dummy-key python manage.py collectstatic --noinput

EXPOSE 8000

# Healthy when the login page answers 200. The Host header is the first
# ALLOWED_HOSTS entry so Django does not reject the probe with 400.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os,sys,urllib.request as u; h=(os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h='localhost' if h in ('','*') else h; r=u.urlopen(u.Request('http://127.0.0.1:8000/healthz',headers={'Host':h}),timeout=4); sys.exit(0 if r.status==200 else 1)"

# Workers, preload, recycling: gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_MAX_REQUESTS, GUNICORN_TIMEOUT).
CMD ["gunicorn", "factcheck.wsgi:application"]
