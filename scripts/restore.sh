#!/usr/bin/env bash
# Restore a folder written by scripts/backup.sh into a NEW PostgreSQL database (docs/operations.md).
# Usage: scripts/restore.sh BACKUP_FOLDER TARGET_DATABASE
#   The database is created on the server of DATABASE_URL (it must not exist yet); media, keys and
#   anchors go to the paths this environment configures (REGISTRY_VAR_DIR, AUDIT_KEY_PATH, ...),
#   never over a different file. Ends with migrate and verify_audit against the restored database.
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 BACKUP_FOLDER TARGET_DATABASE" >&2
    exit 2
fi
BACKUP="$(cd "$1" && pwd)"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
manage() { "$PYTHON" "$ROOT/manage.py" "$@"; }

(cd "$BACKUP" && sha256sum --check --quiet SHA256SUMS) || { echo "the backup is damaged (SHA256SUMS)" >&2; exit 1; }
eval "$(manage backup_paths --database "$2")"
if [ "$DATABASE_ENGINE" != postgresql ]; then
    echo "restore.sh needs DATABASE_URL=postgres://... naming the server to restore into" >&2
    exit 2
fi
umask 077

# Put a backed-up file in place; an existing identical file is fine, a different one is refused.
install_file() {
    local src="$1" dst="$2"
    if [ -e "$dst" ] && ! cmp -s "$src" "$dst"; then
        echo "refusing to overwrite $dst: it differs from the backup (move it aside first)" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$dst")"
    cp -p "$src" "$dst"
}

# 1. Keys first: the database is useless without them.
[ -f "$BACKUP/keys/transfer_ed25519.pem" ] && install_file "$BACKUP/keys/transfer_ed25519.pem" "$TRANSFER_KEY_PATH"
[ -f "$BACKUP/keys/audit_keys.json" ] && install_file "$BACKUP/keys/audit_keys.json" "$AUDIT_KEY_PATH"

# 2. A fresh database (CREATE DATABASE fails if it exists: never restore over live data).
psql --quiet --no-psqlrc --set=ON_ERROR_STOP=1 "$SERVER_DATABASE_URL" -c "CREATE DATABASE \"$2\""
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$TARGET_DATABASE_URL" "$BACKUP/database.dump"

# 3. Materials into an empty media folder.
if [ -f "$BACKUP/media.tar.gz" ]; then
    mkdir -p "$MEDIA_DIR"
    if [ -n "$(ls -A "$MEDIA_DIR")" ]; then
        echo "refusing to restore materials into $MEDIA_DIR: it is not empty" >&2
        exit 1
    fi
    tar -C "$MEDIA_DIR" -xzf "$BACKUP/media.tar.gz"
fi

# 4. Anchors: file by file, so anchors already here (newer ones) are kept, not overwritten.
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
tar -C "$staging" -xzf "$BACKUP/anchors.tar.gz"
find "$staging" -type f -name 'anchor-*.json' | while read -r anchor; do
    install_file "$anchor" "$AUDIT_ANCHOR_DIR/$(basename "$anchor")"
done

# 5. Schema up to this code, then the audit chain against its keys and anchors.
export DATABASE_URL="$TARGET_DATABASE_URL"
manage migrate --noinput -v0
manage verify_audit
echo "restored into $2: set DATABASE_URL=$TARGET_DATABASE_URL (and DJANGO_SECRET_KEY from keys/django_secret_key)"
