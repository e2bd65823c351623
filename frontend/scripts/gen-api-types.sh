#!/usr/bin/env bash
# src/api/schema.d.ts is generated from the Django API's OpenAPI schema (drf-spectacular) by openapi-typescript.
#   scripts/gen-api-types.sh          regenerate it (npm run gen:api)
#   scripts/gen-api-types.sh --check  fail if the committed file is out of date (npm run check:api; make lint)
# The Python interpreter is the repository's .venv unless FLOWBUILDER_PYTHON says otherwise.
set -euo pipefail

frontend="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$frontend/.." && pwd)"
python="${FLOWBUILDER_PYTHON:-$root/.venv/bin/python}"
target="$frontend/src/api/schema.d.ts"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The schema needs no database; an in-memory SQLite keeps this independent of local services.
if ! (cd "$root" && DEBUG=true DATABASE_URL=sqlite:///:memory: "$python" manage.py spectacular \
      --format openapi-json --file "$tmp/openapi.json" --validate --fail-on-warn) >"$tmp/log" 2>&1; then
  cat "$tmp/log" >&2
  echo "gen-api-types: manage.py spectacular failed (schema warnings count as errors)" >&2
  exit 1
fi

# --default-non-nullable=false: a request field with a default (force, use_draft, description) stays optional.
"$frontend/node_modules/.bin/openapi-typescript" "$tmp/openapi.json" -o "$tmp/schema.d.ts" \
  --default-non-nullable=false >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }

if [[ "${1:-}" == "--check" ]]; then
  if ! diff -u "$target" "$tmp/schema.d.ts" >"$tmp/diff"; then
    head -n 80 "$tmp/diff" >&2
    echo "gen-api-types: frontend/src/api/schema.d.ts is out of date with the API; run 'npm run gen:api' in frontend/ and commit it" >&2
    exit 1
  fi
  echo "gen-api-types: frontend/src/api/schema.d.ts is up to date"
else
  cp "$tmp/schema.d.ts" "$target"
  echo "gen-api-types: wrote frontend/src/api/schema.d.ts"
fi
