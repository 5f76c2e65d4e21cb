# The production image: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY integration_manager ./integration_manager
COPY merchants ./merchants
COPY warehouses ./warehouses
COPY carts ./carts
COPY sync ./sync
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && DEBUG=1 python manage.py collectstatic --noinput \
    && useradd --system --home /app app && mkdir -p /app/var && chown app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "integration_manager.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
