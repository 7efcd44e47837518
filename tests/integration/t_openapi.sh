#!/usr/bin/env bash
# openapi_document_matches_the_running_service: docs/openapi.yaml is a valid OpenAPI
# document whose references resolve and whose examples fit their schemas; it documents
# exactly the routes (and roles) of service/http.c; and a live coupond answers every
# documented operation — with the right certificate, the wrong ones and none, on fixtures
# this test creates — only with statuses, content types and JSON fields the document lists
# for that operation (tests/integration/openapi_check.py does the checking, validating with
# python3-jsonschema, Draft 2020-12).
# Needs python3 with PyYAML and jsonschema (Debian: python3-yaml, python3-jsonschema).
set -euo pipefail
s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
# Prefer the system python3 (where python3-yaml and python3-jsonschema install) over another
# one on PATH.
py=
for p in /usr/bin/python3 "$(command -v python3 || true)"; do
  if [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import yaml, jsonschema' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "python3 with PyYAML and jsonschema is needed (apt-get install -y python3-yaml python3-jsonschema)" >&2; exit 1; }
exec "$py" "$s/tests/integration/openapi_check.py" \
  --spec "$s/docs/openapi.yaml" \
  --routes "$s/service/http.c" \
  --base "https://$listen" \
  --certs "$s/certs/dev"
