# The one image behind web (gunicorn), worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are baked into the image and served by WhiteNoise (no CDN, no extra server).
RUN DEBUG=true python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --create-home --uid 10001 app \
    && mkdir -p /app/media \
    && chown -R app /app/media
USER app

EXPOSE 8000
# No gunicorn access log: the app logs one line per request itself, with its request id.
CMD ["gunicorn", "p2p_admin.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "60"]
