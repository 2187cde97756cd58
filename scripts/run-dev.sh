#!/usr/bin/env bash
# `make run`: the local digital-ID provider on :9000 in the background, then
# the portal on http://127.0.0.1:5000. Stopping the portal (Ctrl-C) stops the
# provider too. Both stay on 127.0.0.1: mixing in "localhost" breaks the
# cookies the sign-in state check relies on (docs/idp.md).
set -euo pipefail
cd "$(dirname "$0")/.."

IDP_PORT="${IDP_PORT:-9000}"
PORT="${PORT:-5000}"
export OIDC_ISSUER="${OIDC_ISSUER:-http://127.0.0.1:$IDP_PORT}"
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://127.0.0.1:$PORT}"
export OIDC_REDIRECT_URI="${OIDC_REDIRECT_URI:-$PORTAL_BASE_URL/auth/callback}"
# The provider's client is this portal, at whatever port it runs on.
if [ -z "${IDP_CLIENTS:-}" ]; then
  IDP_CLIENTS=$(printf '[{"client_id":"%s","client_secret":"%s","redirect_uris":["%s"],"post_logout_redirect_uris":["%s/"]}]' \
    "${OIDC_CLIENT_ID:-ventanilla}" "${OIDC_CLIENT_SECRET:-ventanilla-dev-secret}" "$OIDC_REDIRECT_URI" "$PORTAL_BASE_URL")
  export IDP_CLIENTS
fi

node idp/server.mjs --port "$IDP_PORT" > >(sed 's/^/[llave] /') 2> >(sed 's/^/[llave] /' >&2) &
idp_pid=$!
# A local SMTP server that prints every notice e-mail, and the queue consumer
# that sends notices from the outbox and imports uploaded rolls (MAIL_PORT
# defaults to 8025).
.venv/bin/python -m aiosmtpd -n -l "127.0.0.1:${MAIL_PORT:-8025}" > >(sed 's/^/[correo] /') 2>&1 &
smtp_pid=$!
.venv/bin/huey_consumer portal.worker.huey -w 1 -q > >(sed 's/^/[cola] /') 2>&1 &
queue_pid=$!
trap 'kill "$idp_pid" "$smtp_pid" "$queue_pid" 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM

# Wait for the discovery document (about a second) before serving the portal.
for _ in $(seq 1 50); do
  if curl -fs "$OIDC_ISSUER/.well-known/openid-configuration" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$idp_pid" 2>/dev/null; then echo "la Llave Digital local no arrancó" >&2; exit 1; fi
  sleep 0.2
done

echo "Portal: $PORTAL_BASE_URL  ·  Llave Digital local: $OIDC_ISSUER (personas en idp/personas.json, p. ej. «lupita»)"
.venv/bin/flask --app wsgi run --host 127.0.0.1 --port "$PORT"
