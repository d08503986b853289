# syntax=docker/dockerfile:1
# callrec-auth image. Build: docker build -t callrec-auth:0.1.0 .
# Two stages:
#   typecheck  full `npm ci` and `tsc --noEmit`, so no image is built from code that does not
#              type-check (tsx, which runs the sources, only strips types);
#   runtime    production dependencies only (`npm ci --omit=dev`; tsx is one of them), the
#              sources, migrations and interactions, run as uid 10001.
# The runtime writes nothing outside /tmp (tsx keeps its transpile cache there), so it runs with
# a read-only root filesystem as long as /tmp is writable:
#   docker run --read-only --tmpfs /tmp -e … callrec-auth:0.1.0
# Production (NODE_ENV=production) never migrates on start: run `callrec-auth migrate` first
# (the Helm chart does it in a pre-install/pre-upgrade hook Job).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS typecheck
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
RUN npx --no-install tsc --noEmit && touch /app/.typechecked

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
RUN groupadd --system --gid 10001 callrec \
    && useradd --system --uid 10001 --gid callrec --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin callrec
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund
# Sources stay owned by root and read-only for the service user.
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY interactions ./interactions
# The marker ties this stage to the type check (BuildKit skips stages nothing copies from).
COPY --from=typecheck /app/.typechecked ./.typechecked
# `callrec-auth migrate | keys rotate | bootstrap | start` on the PATH (bin/callrec-auth.js).
RUN ln -s /app/bin/callrec-auth.js /usr/local/bin/callrec-auth

USER 10001:10001
EXPOSE 3000 3001
STOPSIGNAL SIGTERM
# Docker only; Kubernetes uses the chart's startup/liveness (/healthz) and readiness (/readyz) probes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 and handles SIGTERM (drain, then close); no npm or shell in between.
CMD ["node", "--import", "tsx", "src/main.ts"]
