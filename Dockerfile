# One image for every Ortak process; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app
WORKDIR /app

COPY requirements.lock .
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.lock

COPY shared ./shared
COPY services ./services
COPY ops ./ops
COPY deploy/gunicorn.conf.py deploy/nameko.yml ./deploy/
# the web pages' gettext catalogues, compiled while the tree is still writable
RUN python -c "from services.web.i18n import compile_catalogues; compile_catalogues()"

RUN useradd --system --uid 10001 ortak && mkdir -p /var/lib/ortak/metrics && chown ortak /var/lib/ortak/metrics
USER ortak
EXPOSE 8000
# <NAME>_FILE secrets become the plain variables nameko's config file reads (ops/entrypoint.py)
ENTRYPOINT ["python", "-m", "ops.entrypoint"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
