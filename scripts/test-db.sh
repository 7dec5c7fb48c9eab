#!/usr/bin/env bash
# Throwaway database servers for the integration tests: each lives entirely in DIR (data, socket,
# pid, log), listens on a free port of 127.0.0.1 only, and never touches the system's servers.
#
#   scripts/test-db.sh start postgres|mariadb DIR   prints the server's jdbc URL (also in DIR/url)
#   scripts/test-db.sh start KIND DIR SSL_DIR       the same with TLS: SSL_DIR/server.{crt,key}
#                                                   (and ca.crt for MariaDB) as the server's
#                                                   certificate; TCP clients must use TLS
#   scripts/test-db.sh stop DIR                     stops whatever runs in DIR (idempotent)
#   scripts/test-db.sh pause|resume DIR             PostgreSQL only: stop it keeping its data and
#                                                   port, start it again (an outage)
set -euo pipefail

die() {
  echo "test-db: $*" >&2
  exit 1
}

# A port nobody listens on right now (the kernel's pick for port 0).
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Debian puts the server binaries in /usr/sbin, which a non-root PATH often lacks.
find_bin() {
  local name
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
    for dir in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
      if [ -x "$dir/$name" ]; then
        echo "$dir/$name"
        return 0
      fi
    done
  done
  return 1
}

# --- MariaDB ---------------------------------------------------------------------------------

start_mariadb() {
  local dir="$1" ssl_dir="${2:-}"
  local mariadbd install_db admin client
  mariadbd=$(find_bin mariadbd mysqld) || die "mariadbd not found (apt-get install mariadb-server)"
  install_db=$(find_bin mariadb-install-db mysql_install_db) || die "mariadb-install-db not found"
  admin=$(find_bin mariadb-admin mysqladmin) || die "mariadb-admin not found"
  client=$(find_bin mariadb mysql) || die "mariadb client not found"

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # --no-defaults skips Debian's config, whose utf8mb4 default is restored by hand below.
  # The server refuses to run as root without --user=root; as anyone else it runs as itself.
  local as_user=()
  [ "$(id -u)" -eq 0 ] && as_user=(--user=root)

  # A unix socket path is limited to 107 bytes: a deep DIR gets its socket in a short temp folder.
  local sock="$dir/mysql.sock"
  if [ ${#sock} -gt 100 ]; then
    sock="$(mktemp -d /tmp/kpipe-mariadb.XXXXXX)/mysql.sock"
  fi
  echo "$sock" >"$dir/socket"
  echo mariadb >"$dir/kind"

  if [ ! -d "$dir/data/mysql" ]; then
    "$install_db" --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db "${as_user[@]}" >"$dir/install.log" 2>&1 ||
      die "mariadb-install-db failed; see $dir/install.log"
  fi

  # TLS: the socket still counts as secure transport, so the setup below needs no certificate.
  local ssl_opts=()
  if [ -n "$ssl_dir" ]; then
    ssl_dir=$(cd "$ssl_dir" && pwd)
    ssl_opts=(--ssl-ca="$ssl_dir/ca.crt" --ssl-cert="$ssl_dir/server.crt"
      --ssl-key="$ssl_dir/server.key" --require-secure-transport=ON)
  fi

  # The free port can be taken between the probe and the server's bind: retry with another one.
  local attempt port pid ready
  for attempt in 1 2 3; do
    port=$(free_port)
    : >"$dir/mariadb.log"
    setsid "$mariadbd" --no-defaults --datadir="$dir/data" --port="$port" \
      --bind-address=127.0.0.1 --socket="$sock" --pid-file="$dir/mysqld.pid" \
      --log-error="$dir/mariadb.log" --skip-name-resolve \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci "${as_user[@]}" \
      "${ssl_opts[@]}" \
      </dev/null >>"$dir/mariadb.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/mariadbd-launch.pid"
    ready=0
    # Up to ~30 s for a slow machine; a healthy server answers in well under a second.
    for _ in $(seq 1 300); do
      if "$admin" --no-defaults --socket="$sock" -uroot --connect-timeout=1 ping >/dev/null 2>&1; then
        ready=1
        break
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    [ "$ready" -eq 1 ] && break
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -q "Address already in use" "$dir/mariadb.log" || break
  done
  [ "$ready" -eq 1 ] || die "mariadbd did not start; see $dir/mariadb.log"

  "$client" --no-defaults --socket="$sock" -uroot <<'SQL' || die "creating user kpipe failed"
CREATE DATABASE IF NOT EXISTS kpipe CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'kpipe'@'%' IDENTIFIED BY 'kpipe';
CREATE USER IF NOT EXISTS 'kpipe'@'127.0.0.1' IDENTIFIED BY 'kpipe';
CREATE USER IF NOT EXISTS 'kpipe'@'localhost' IDENTIFIED BY 'kpipe';
GRANT ALL PRIVILEGES ON *.* TO 'kpipe'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'kpipe'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'kpipe'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  local url="jdbc:mysql://127.0.0.1:$port/kpipe?user=kpipe&password=kpipe"
  echo "$url" >"$dir/url"
  echo "$url"
}

stop_mariadb() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)  # as start_mariadb wrote it into the server's command line
  local pid=""
  if [ -f "$dir/mysqld.pid" ]; then
    pid=$(cat "$dir/mysqld.pid")
  elif [ -f "$dir/mariadbd-launch.pid" ]; then
    pid=$(cat "$dir/mariadbd-launch.pid")
  fi
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  # A pid file left by a crash may name a process that reused the number: only ours is stopped.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--datadir=$dir/data" || return 0
  # SIGTERM is mariadbd's clean shutdown; no password or client needed.
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "test-db: mariadbd $pid did not stop in 30 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  local sock
  sock=$(cat "$dir/socket" 2>/dev/null || true)
  case "$sock" in
  /tmp/kpipe-mariadb.*) rm -rf "$(dirname "$sock")" ;;
  esac
  return 0
}

# --- PostgreSQL ------------------------------------------------------------------------------

PG_BIN_DEFAULT=/usr/lib/postgresql/15/bin

# Debian keeps initdb/pg_ctl out of PATH, under /usr/lib/postgresql/<major>/bin.
pg_bindir() {
  if [ -x "$PG_BIN_DEFAULT/initdb" ]; then
    echo "$PG_BIN_DEFAULT"
    return 0
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && echo "$d" && return 0
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

# initdb and pg_ctl refuse to run as root: as root they run as the `postgres` system user.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_postgres() {
  local dir="$1" ssl_dir="${2:-}"
  local bin
  bin=$(pg_bindir) || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  echo postgres >"$dir/kind"

  # The server's files live where their owner can reach them: as root that is the postgres user,
  # who cannot enter e.g. /root/...; then data and socket go to a private folder in /tmp.
  local base="$dir"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' missing (apt-get install postgresql)"
    chown postgres "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      base=$(mktemp -d /tmp/kpipe-pg.XXXXXX)
      chown postgres "$base"
    fi
  fi
  # A unix socket path is limited to 107 bytes (".s.PGSQL.NNNNN" included).
  local sock="$base"
  if [ $((${#sock} + 16)) -gt 100 ]; then
    sock=$(mktemp -d /tmp/kpipe-pgsock.XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown postgres "$sock"
  fi
  local data="$base/data"
  echo "$data" >"$dir/pgdata"
  echo "$sock" >"$dir/pgsocket"

  if [ ! -f "$data/PG_VERSION" ]; then
    # Password auth over TCP (the tests check a wrong password fails); trust on the socket so
    # this script can create the kpipe role without a password.
    pg_as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      pg_as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      die "initdb failed; see $dir/initdb.log"
  fi

  local ssl_opts=""
  if [ -n "$ssl_dir" ]; then
    # The server reads its key only if its owner alone can: copies in the data folder are.
    cp "$ssl_dir/server.crt" "$ssl_dir/server.key" "$data/"
    chmod 600 "$data/server.key"
    [ "$(id -u)" -eq 0 ] && chown postgres "$data/server.crt" "$data/server.key"
    # hostssl only: a client without TLS finds no pg_hba.conf entry and is refused.
    sed -i -E 's/^host([[:space:]])/hostssl\1/' "$data/pg_hba.conf"
    ssl_opts=" -c ssl=on"
  fi

  # The free port can be taken between the probe and the server's bind: retry with another one.
  local attempt port ready=0 log="$base/postgres.log"
  for attempt in 1 2 3; do
    port=$(free_port)
    if pg_as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
      -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off$ssl_opts" \
      start >"$dir/pg_ctl.log" 2>&1; then
      ready=1
      break
    fi
    grep -q "already in use" "$log" 2>/dev/null || break
  done
  [ "$ready" -eq 1 ] || die "postgres did not start; see $log"
  echo "$port" >"$dir/port"

  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres \
    >/dev/null <<'SQL' || die "creating role kpipe failed"
SELECT 'CREATE ROLE kpipe LOGIN SUPERUSER PASSWORD ''kpipe'''
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kpipe') \gexec
SELECT 'CREATE DATABASE kpipe OWNER kpipe'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'kpipe') \gexec
SQL
  local url="postgresql://kpipe:kpipe@127.0.0.1:$port/kpipe"
  echo "$url" >"$dir/url"
  echo "$url"
}

stop_postgres() {
  local dir="$1"
  [ -f "$dir/pgdata" ] || return 0
  local data bin sock
  data=$(cat "$dir/pgdata")
  if [ -f "$data/postmaster.pid" ] && bin=$(pg_bindir); then
    pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  # Private folders outside DIR (made when DIR was unreachable or too deep) go with the server.
  sock=$(cat "$dir/pgsocket" 2>/dev/null || true)
  case "$sock" in
  /tmp/kpipe-pgsock.*) rm -rf "$sock" ;;
  esac
  case "$data" in
  /tmp/kpipe-pg.*/data) rm -rf "$(dirname "$data")" ;;
  esac
  return 0
}

# Stops the server but keeps its data and port, for a later resume (an outage in a test).
pause_postgres() {
  local dir="$1" data bin
  data=$(cat "$dir/pgdata")
  bin=$(pg_bindir) || die "PostgreSQL server binaries not found"
  pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
    die "pg_ctl stop failed"
}

# Starts a paused server again on the same port and data folder.
resume_postgres() {
  local dir="$1" data sock port bin
  data=$(cat "$dir/pgdata")
  sock=$(cat "$dir/pgsocket")
  port=$(cat "$dir/port")
  bin=$(pg_bindir) || die "PostgreSQL server binaries not found"
  pg_as_owner "$bin/pg_ctl" -D "$data" -l "$(dirname "$data")/postgres.log" -w -t 60 \
    -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >"$dir/pg_ctl.log" 2>&1 || die "postgres did not start again; see $dir/pg_ctl.log"
}

# --- dispatcher ------------------------------------------------------------------------------

usage() {
  echo "usage: $0 start postgres|mariadb DIR [SSL_DIR] | stop DIR" >&2
  exit 2
}

case "${1:-}" in
start)
  [ $# -eq 3 ] || [ $# -eq 4 ] || usage
  case "$2" in
  mariadb | mysql) start_mariadb "$3" "${4:-}" ;;
  postgres | postgresql) start_postgres "$3" "${4:-}" ;;
  *) usage ;;
  esac
  ;;
stop)
  [ $# -eq 2 ] || usage
  # DIR/kind names the server its start wrote; without it, each stop checks its own files.
  case "$(cat "$2/kind" 2>/dev/null || true)" in
  mariadb) stop_mariadb "$2" ;;
  postgres) stop_postgres "$2" ;;
  *)
    stop_mariadb "$2"
    if declare -F stop_postgres >/dev/null; then stop_postgres "$2"; fi
    ;;
  esac
  ;;
pause)
  [ $# -eq 2 ] || usage
  pause_postgres "$2"
  ;;
resume)
  [ $# -eq 2 ] || usage
  resume_postgres "$2"
  ;;
*) usage ;;
esac
