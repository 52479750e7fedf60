# pulse: the synthetic user-journey prober, on Debian with Debian's Chromium headless shell.
#
#   docker build -t pulse .
#   docker run --rm -p 9477:9477 -e PULSE_LOCATION=eu-west-1 \
#     -e PULSE_PARAM_BASE_URL=https://shop.example.com -v pulse-data:/data \
#     --stop-timeout 45 pulse
#
# test/deploy.test.ts checks this file against .ci/run (apt packages, npm ci flags) and the tree.

# ---- base: what `npm ci` needs, shared by the build and the production-deps stages ----------
FROM node:20-bookworm-slim AS base
WORKDIR /app
# apt installs Chromium in the runtime stage, so the postinstall must not fetch a browser; it
# still runs and imports scripts/ensure-browser.ts and src/runner/find-browser.ts, so both come first.
ENV PULSE_SKIP_BROWSER_INSTALL=1
COPY package.json package-lock.json ./
COPY scripts/ scripts/
COPY src/runner/find-browser.ts src/runner/

# ---- build: all dependencies, TypeScript compiled to dist/ -----------------------------------
FROM base AS build
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- deps: production dependencies only (tsx stays: journeys are TypeScript loaded at run time).
# A stage of its own so scripts/, a partial src/ and npm's cache stay out of the image.
FROM base AS deps
RUN npm ci --omit=dev --no-audit --no-fund

# ---- runtime ---------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime

# The one apt list. Everything except tini and ca-certificates must also be in .ci/run's
# APT_PACKAGES, so CI tests the browser and fonts that ship.
ARG APT_PACKAGES="chromium-headless-shell fonts-liberation fonts-noto-color-emoji tini ca-certificates"
RUN apt-get update \
 && apt-get install -y --no-install-recommends $APT_PACKAGES \
 && rm -rf /var/lib/apt/lists/*

# Non-root user pulse (uid/gid 10001) owns only /data. Chromium runs with Playwright's default
# --no-sandbox (chromiumSandbox: false) plus --disable-dev-shm-usage: a non-root user in a
# container is the documented alternative to Chromium's own sandbox, which needs root or user
# namespaces a default container does not grant.
RUN groupadd --gid 10001 pulse \
 && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/pulse --shell /usr/sbin/nologin pulse \
 && mkdir -p /data \
 && chown 10001:10001 /data

WORKDIR /app
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY package.json package-lock.json playwright.config.ts ./
COPY bin/ bin/
# The example journeys are baked in. To run your own, mount a folder over /app/journeys:
#   docker run -v "$PWD/journeys:/app/journeys:ro" ...        (a volume)
#   Kubernetes: a ConfigMap volume at /app/journeys          (deploy/kubernetes/journeys-configmap.yaml)
# or build FROM this image and COPY your journeys/ there. Journey files import 'pulse', which
# resolves to /app/package.json from anywhere below /app.
COPY journeys/ journeys/

# The Debian headless shell (/usr/lib/chromium/chromium-headless-shell) is found without
# PULSE_BROWSER_PATH. NODE_OPTIONS selects the compiled dist/ entries of package.json "exports"
# (the 'pulse' and 'pulse/playwright' imports), since the image has no src/.
ENV PULSE_HOST=0.0.0.0 \
    PULSE_PORT=9477 \
    PULSE_LOG_FORMAT=json \
    PULSE_DATA_DIR=/data \
    PULSE_JOURNEYS=/app/journeys \
    NODE_OPTIONS=--conditions=pulse-dist

USER 10001:10001
EXPOSE 9477

# No curl in a slim image: node's own fetch asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PULSE_PORT||9477)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# On SIGTERM pulse stops scheduling, lets in-flight runs finish within PULSE_GRACE_PERIOD
# (default 30s), closes Chromium and exits 0. The stop timeout must exceed that grace period:
# `docker run --stop-timeout 45` (Docker's default is 10s), terminationGracePeriodSeconds: 45
# on Kubernetes. Otherwise SIGKILL cuts runs short.
STOPSIGNAL SIGTERM
# tini is PID 1: it reaps the processes Chromium leaves behind and forwards SIGTERM to node only
# (no -g), so Chromium is closed by pulse after the in-flight runs, not killed under them.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/pulse.js"]
CMD ["run"]
