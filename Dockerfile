# pulse: the synthetic user-journey prober, on Debian with Debian's Chromium headless shell and
# Node.js 24 (the current LTS).
#
#   docker build -t pulse .
#   docker run --rm -p 9477:9477 -e PULSE_LOCATION=eu-west-1 \
#     -e PULSE_PARAM_BASE_URL=https://shop.example.com -v pulse-data:/data \
#     --stop-timeout 45 pulse
#
# `npm run test:image` builds this file and proves the image: `pulse once` against the demo shop
# as uid 10001, the daemon's heartbeat, the HEALTHCHECK, evidence in /data, a clean stop on
# SIGTERM (scripts/test-image.ts). test/e2e/deploy.test.ts checks this file against the tree and
# against the packages the test suite installs (scripts/debian-packages.ts).
#
# What the build downloads comes from two places only: the npm registry and Debian's archive.
# better-sqlite3 is compiled here from its registry tarball (npm_config_build_from_source), never
# fetched as a prebuilt binary from elsewhere, so the build also works behind a proxy or in an
# air-gapped network with a registry mirror. Two build secrets carry the machine's npm settings
# and never land in a layer (both optional; without them npm uses the public registry):
#   --secret id=npmrc,src=<an .npmrc: registry, proxy, tokens; cafile=/run/secrets/npm-ca>
#   --secret id=npm-ca,src=<the CA bundle that registry's certificate chains to>
# scripts/test-image.ts writes both from your own npm settings.
#
# Where no container registry can be reached, a base image made from Debian packages stands in
# for the official one (debootstrap --variant=minbase bookworm, plus Node.js from the npm
# registry's node-linux-* package; scripts/make-base-image.sh):
#   docker build --build-arg BASE_IMAGE=localhost/pulse-base:bookworm-node24 -t pulse .

# The base of every stage: Debian bookworm with Node.js 24 in /usr/local (bin/node, include/node).
ARG BASE_IMAGE=node:24-bookworm-slim

# ---- base: what `npm ci` needs: a compiler for better-sqlite3, and what the postinstall imports -
FROM ${BASE_IMAGE} AS base
# Build tools for node-gyp, in the build stages only: the runtime stage starts again from
# BASE_IMAGE and never has them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# apt installs Chromium in the runtime stage, so the postinstall must not fetch a browser; it
# still runs and imports scripts/ensure-browser.ts, src/runner/find-browser.ts and the error it
# throws (src/errors.ts, src/problem.ts), so these come first. Native addons are compiled against
# the headers of the Node.js in the image (node-gyp and prebuild-install read these two; npm may
# warn that it does not know them itself).
ENV PULSE_SKIP_BROWSER_INSTALL=1 \
    npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
COPY scripts/ scripts/
COPY src/errors.ts src/problem.ts src/
COPY src/runner/find-browser.ts src/runner/

# ---- build: all dependencies, TypeScript compiled to dist/ -----------------------------------
FROM base AS build
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=npm-ca,target=/run/secrets/npm-ca \
    npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- deps: production dependencies only (tsx stays: journeys are TypeScript loaded at run time).
# A stage of its own so scripts/, a partial src/, the compiler and npm's cache stay out of the
# image. Of better-sqlite3's build only the addon stays, and config.gypi, which tells what it was
# compiled against; SQLite's sources and the object files go.
FROM base AS deps
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=npm-ca,target=/run/secrets/npm-ca \
    npm ci --omit=dev --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src \
 && find build -depth -mindepth 1 ! -path build/Release ! -path build/Release/better_sqlite3.node ! -path build/config.gypi -delete

# ---- runtime ---------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime

# The runtime's apt list. Everything but tini and ca-certificates is also installed for the
# test suite (scripts/debian-packages.ts), so the tests run the browser and fonts that ship.
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

# No curl in a slim image: node's own fetch asks /healthz. Podman keeps this only in images
# built with --format docker (OCI images have no health check).
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
