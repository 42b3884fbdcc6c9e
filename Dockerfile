# One image for the three services; docker-compose.yml picks the service by its command
# (safeguarding-intake, safeguarding-outcomes or safeguarding-notification).
# The base is pinned to a patch release and Debian version so a rebuild gives the same runtime.

# The web app's GOV.UK and MOJ assets, exactly as package-lock.json pins them.
FROM node:20.19.5-bookworm-slim AS assets
WORKDIR /opt/assets
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY shared ./shared
COPY services ./services
# The same pinned versions the tests ran against.
RUN pip install -c constraints.txt .

FROM python:3.11.14-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# The services hold safeguarding records: they run without root, and the image carries only the
# installed package, not the source tree or build tools.
RUN groupadd --system --gid 10001 safeguarding \
 && useradd --system --uid 10001 --gid safeguarding --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin safeguarding
COPY --from=build /opt/venv /opt/venv
COPY --from=assets /opt/assets/node_modules /opt/assets/node_modules
USER 10001:10001
EXPOSE 8001 8002 8003 8004
