# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Pango and a font for WeasyPrint, which draws the quote, invoice and credit note PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Requirements first, so a code change does not reinstall every package.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Settings refuse to load without SECRET_KEY when DEBUG is off. This throwaway key exists only
# for collectstatic; it is passed to that one command and not kept in the image's environment.
ARG COLLECTSTATIC_SECRET_KEY=collectstatic-only-not-a-secret
RUN DEBUG=false SECRET_KEY="$COLLECTSTATIC_SECRET_KEY" python manage.py collectstatic --noinput -v0

# The code stays owned by root and read-only to the process that serves it.
RUN useradd --system --create-home --uid 10001 app
USER app

EXPOSE 8000
# Workers, threads and timeout come from WEB_CONCURRENCY, GUNICORN_THREADS and GUNICORN_TIMEOUT
# (config/gunicorn.conf.py; README: Deployment).
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
