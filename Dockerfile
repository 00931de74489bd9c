# pg-auditor as a container: for docker-compose, a Kubernetes CronJob or any scheduler that runs images.
FROM python:3.12-slim
WORKDIR /src
COPY pyproject.toml README.md ./
COPY auditor ./auditor
COPY queries ./queries
COPY templates ./templates
COPY schemas ./schemas
COPY LICENSE ./
RUN pip install --no-cache-dir . && rm -rf /src && useradd --create-home --uid 10001 auditor
USER auditor
WORKDIR /reports
ENTRYPOINT ["pg-auditor"]
CMD ["--help"]
