#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into the portal's database.
#
#   make restore BACKUP=backups/portal-20250301-020000.dump                 # the compose stack's `db`
#   DATABASE_URL=postgres://u:p@host/new_db make restore BACKUP=...         # any database
#
# The target database must exist and be empty (createdb, or the stack after `docker compose down -v`
# and `docker compose up -d db`); RESTORE_CLEAN=1 drops the objects of a non-empty one first. The
# restore is one transaction: it is complete, or nothing changes. Stop the stack's web, worker and beat
# services first, and start the portal with the same PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY as
# the backed-up one, or the personal data cannot be read.
set -euo pipefail

COMPOSE="${COMPOSE:-docker compose}"
DB_SERVICE="${DB_SERVICE:-db}"
DB_USER="${POSTGRES_USER:-portal}"
DB_NAME="${POSTGRES_DB:-portal}"

die() { echo "restore: $*" >&2; exit 1; }

dump="${1:-}"
[[ -n "$dump" ]] || die "usage: make restore BACKUP=path/to/portal-YYYYMMDD-HHMMSS.dump"
[[ -f "$dump" ]] || die "no such file: $dump"

# Objects are owned by whoever restores (the stack's or DATABASE_URL's user), whatever the source's were.
options=(--no-owner --no-privileges --exit-on-error --single-transaction)
if [[ "${RESTORE_CLEAN:-0}" == 1 ]]; then
    options+=(--clean --if-exists)
fi
count_tables="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"

case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*)
        command -v pg_restore >/dev/null || die "pg_restore not found: install the PostgreSQL client (Debian: apt-get install postgresql-client)"
        tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$DATABASE_URL" --command="$count_tables")
        restore() { pg_restore "${options[@]}" --dbname="$DATABASE_URL" "$dump"; }
        where="DATABASE_URL's database"
        ;;
    "")
        tables=$($COMPOSE exec -T "$DB_SERVICE" psql --no-psqlrc --tuples-only --no-align -U "$DB_USER" -d "$DB_NAME" --command="$count_tables")
        restore() { $COMPOSE exec -T "$DB_SERVICE" pg_restore "${options[@]}" -U "$DB_USER" -d "$DB_NAME" <"$dump"; }
        where="the compose service '$DB_SERVICE' (database $DB_NAME)"
        ;;
    *)
        die "DATABASE_URL is not PostgreSQL (${DATABASE_URL%%:*}://...)"
        ;;
esac

if [[ "${tables//[[:space:]]/}" != 0 && "${RESTORE_CLEAN:-0}" != 1 ]]; then
    die "$where already has ${tables//[[:space:]]/} tables; restore into an empty database, or set RESTORE_CLEAN=1 to replace them"
fi
echo "restore: restoring $dump into $where" >&2
restore
echo "restore: done; run 'python manage.py migrate' if the code is newer than the backup" >&2
