# The Praatmee service (Rasa runs in its own official image; see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PTB_TIMEDELTA=true
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY actions ./actions
COPY nlu ./nlu
COPY moderation ./moderation
COPY dialogues ./dialogues
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/praatmee praatmee \
    && mkdir -p /var/lib/praatmee && chown praatmee /var/lib/praatmee
ENV PRAATMEE_DIALOGUES=/app/dialogues
USER praatmee
EXPOSE 8080
CMD ["praatmee", "serve"]
