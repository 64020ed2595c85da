#!/bin/sh
# Temporal's two PostgreSQL databases: created on the first start, their
# schemas brought to the server's version on every start (an upgrade of the
# temporalio/server image is an upgrade of the schema first).
set -eu
for db in temporal temporal_visibility; do
  case $db in
    temporal) dir=/etc/temporal/schema/postgresql/v12/temporal/versioned ;;
    *) dir=/etc/temporal/schema/postgresql/v12/visibility/versioned ;;
  esac
  temporal-sql-tool --db "$db" create || true # already there after the first start
  temporal-sql-tool --db "$db" setup-schema -v 0.0 || true
  temporal-sql-tool --db "$db" update-schema -d "$dir"
done
