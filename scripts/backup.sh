#!/usr/bin/env bash
# Back up everything a restore needs into one dated folder (docs/operations.md):
#   anchors (first), the PostgreSQL database (pg_dump custom format), the media folder,
#   the transfer/anchor signing key, the audit keyring, DJANGO_SECRET_KEY, and SHA256SUMS.
# Usage: scripts/backup.sh [BACKUP_ROOT]        (default ./backups; prints the folder it wrote)
# Run it with the deployment's environment (DATABASE_URL, REGISTRY_VAR_DIR, DJANGO_SECRET_KEY, ...).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
manage() { "$PYTHON" "$ROOT/manage.py" "$@"; }

eval "$(manage backup_paths)"
if [ "$DATABASE_ENGINE" != postgresql ]; then
    echo "backup.sh needs PostgreSQL (DATABASE_URL=postgres://...); for the embedded SQLite default stop the server and copy var/." >&2
    exit 2
fi
umask 077 # personal data and keys: readable by this user only
DEST="${1:-$ROOT/backups}/registry-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$DEST/keys"

# 1. Anchor the head, then copy the anchors BEFORE dumping: every anchor in the backup is then at
#    or below the dumped head, so the restored copy verifies. A chain that does not verify is
#    reported (exit status of verify_audit in MANIFEST) but still backed up.
anchor_status=0
manage audit_anchor >&2 || anchor_status=$?
mkdir -p "$AUDIT_ANCHOR_DIR"
tar -C "$AUDIT_ANCHOR_DIR" -czf "$DEST/anchors.tar.gz" .

# 2. The database: one consistent snapshot.
pg_dump --format=custom --no-owner --no-privileges --file="$DEST/database.dump" "$DATABASE_URL"

# 3. Materials, after the dump: every file a dumped row names is already there.
if [ "$STORAGE_BACKEND" = local ]; then
    mkdir -p "$MEDIA_DIR"
    tar -C "$MEDIA_DIR" -czf "$DEST/media.tar.gz" .
else
    echo "materials are in the $STORAGE_BACKEND bucket: back it up with the bucket's versioning/replication (docs/operations.md)" >"$DEST/media-in-bucket.txt"
fi

# 4. Keys. Without them the restored audit log cannot be verified, nor sessions/tokens decoded.
for pair in "$TRANSFER_KEY_PATH:transfer_ed25519.pem" "$AUDIT_KEY_PATH:audit_keys.json"; do
    src="${pair%:*}"
    if [ -f "$src" ]; then cp -p "$src" "$DEST/keys/${pair##*:}"; else echo "warning: $src does not exist" >&2; fi
done
if [ -n "${DJANGO_SECRET_KEY:-}" ]; then
    printf '%s\n' "$DJANGO_SECRET_KEY" >"$DEST/keys/django_secret_key"
else
    echo "warning: DJANGO_SECRET_KEY is not set in this environment; back it up from your secret store" >&2
fi

{
    echo "created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "database=${DATABASE_URL##*/}"
    echo "audit_anchor_exit=$anchor_status"
} >"$DEST/MANIFEST"
(cd "$DEST" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum >SHA256SUMS)
echo "$DEST"
