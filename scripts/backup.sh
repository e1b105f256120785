#!/usr/bin/env bash
# Back up the portal's PostgreSQL database: one pg_dump file (custom format) in BACKUP_DIR.
#
#   make backup                                   # the compose stack's `db` service (docker compose exec)
#   DATABASE_URL=postgres://u:p@host/portal make backup   # any server pg_dump can reach
#
# BACKUP_DIR (default: backups) receives portal-YYYYMMDD-HHMMSS.dump; the path is printed on stdout.
# The dump holds personal data encrypted with PERSONAL_DATA_KEYS: it is useless without the keys, so
# keep the keys (the .env file) backed up too, but never next to the dumps. Uploaded files (the
# media volume) are not in the database: back them up separately.
set -euo pipefail

BACKUP_DIR="${BACKUP_DIR:-backups}"
# Compose project settings, for the stack's database service.
COMPOSE="${COMPOSE:-docker compose}"
DB_SERVICE="${DB_SERVICE:-db}"
DB_USER="${POSTGRES_USER:-portal}"
DB_NAME="${POSTGRES_DB:-portal}"

die() { echo "backup: $*" >&2; exit 1; }

mkdir -p "$BACKUP_DIR"
umask 077  # a dump is personal data, encrypted or not: readable by its owner only
target="$BACKUP_DIR/portal-$(date +%Y%m%d-%H%M%S).dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*)
        command -v pg_dump >/dev/null || die "pg_dump not found: install the PostgreSQL client (Debian: apt-get install postgresql-client)"
        echo "backup: dumping DATABASE_URL's database to $target" >&2
        pg_dump --format=custom --compress=6 --file="$partial" --dbname="$DATABASE_URL"
        ;;
    "")
        echo "backup: dumping the compose service '$DB_SERVICE' (database $DB_NAME) to $target" >&2
        # -T: no terminal, so the binary dump reaches stdout unchanged.
        $COMPOSE exec -T "$DB_SERVICE" pg_dump --format=custom --compress=6 -U "$DB_USER" -d "$DB_NAME" >"$partial"
        ;;
    *)
        die "DATABASE_URL is not PostgreSQL (${DATABASE_URL%%:*}://...); SQLite needs no dump: copy db.sqlite3"
        ;;
esac

# A dump that pg_restore cannot read is no backup: check its table of contents before keeping it.
[[ -s "$partial" ]] || die "the dump is empty"
if command -v pg_restore >/dev/null; then
    pg_restore --list "$partial" >/dev/null || die "pg_restore cannot read the dump"
else
    $COMPOSE exec -T "$DB_SERVICE" pg_restore --list <"$partial" >/dev/null || die "pg_restore cannot read the dump"
fi
mv "$partial" "$target"
trap - EXIT
echo "$target"
