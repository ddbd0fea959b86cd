#!/usr/bin/env bash
# Runbook step 8's curl lines and the 03:04 smoke tests, after maintenance off: health, the
# product list count, one product's variants, the category count (PST-04..06/08/09 follow).
source "$(dirname "$0")/_common.sh"
api="${BASE_URL:?BASE_URL is not set}${API_PREFIX-/api}"
get() { curl -fsS --max-time 15 "$api$1"; }
json() { "$GATE_PYTHON" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
say "health: $(get /health/ | json 'd.get("status")')"
count="$(get /products/ | json 'd["count"]')"
slug="$(get /products/ | json 'd["results"][0]["slug"] if d["results"] else ""')"
say "products: $count"
(( count > 0 )) || { say "the product list is empty" >&2; exit 1; }
variants="$(get "/products/$slug/" | json 'len(d.get("variants") or [])')"
say "product $slug: $variants variant(s)"
(( variants > 0 )) || { say "product $slug has no variants" >&2; exit 1; }
say "categories: $(get /categories/ | json 'd["count"]')"
