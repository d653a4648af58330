# One image for every Ortak process; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app
WORKDIR /app

COPY requirements.lock .
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.lock

COPY shared ./shared
COPY services ./services
COPY ops ./ops
COPY deploy ./deploy

RUN useradd --system --uid 10001 ortak && mkdir -p /var/lib/ortak/metrics && chown ortak /var/lib/ortak/metrics
USER ortak
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
