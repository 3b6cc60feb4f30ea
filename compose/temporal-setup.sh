#!/bin/sh
# One-shot (service temporal-setup): waits for the Temporal frontend, creates the namespace and
# registers safe-deploy's search attributes — what `temporal server start-dev --search-attribute`
# does for the demo. Idempotent: existing ones are kept. Needs only the `temporal` CLI.
set -eu
: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS (host:port of the frontend)}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${SEARCH_ATTRIBUTES:?set SEARCH_ATTRIBUTES, e.g. DeployApp=Keyword DeployRef=Keyword}"
attempts=${SETUP_ATTEMPTS:-60}
pause=${SETUP_PAUSE_SECONDS:-2}

# Runs "$@" until it succeeds; a fresh namespace takes a few seconds to reach every server cache.
retry() {
  n=1
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then echo "temporal-setup: gave up after $n attempts: $*" >&2; return 1; fi
    n=$((n + 1))
    sleep "$pause"
  done
}

# Connection flags go after the subcommand: older CLIs define them per command, not on the root.
cli() { temporal "$@" --address "$TEMPORAL_ADDRESS"; }
quiet() { "$@" >/dev/null 2>&1; }

retry quiet cli operator cluster health
echo "temporal-setup: frontend at $TEMPORAL_ADDRESS is healthy"

if quiet cli operator namespace describe --namespace "$TEMPORAL_NAMESPACE"; then
  echo "temporal-setup: namespace $TEMPORAL_NAMESPACE exists"
else
  retry cli operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "${TEMPORAL_RETENTION:-720h}"
  echo "temporal-setup: namespace $TEMPORAL_NAMESPACE created"
fi

has_attribute() { cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" 2>/dev/null | grep -qw -- "$1"; }
# Registered, or registers it: also right when a transient error hid an attribute from `list`.
ensure_attribute() { has_attribute "$1" || cli operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$1" --type "$2"; }
for attribute in $SEARCH_ATTRIBUTES; do
  name=${attribute%%=*}
  type=${attribute#*=}
  retry ensure_attribute "$name" "$type"
  echo "temporal-setup: search attribute $name ($type) registered"
done
