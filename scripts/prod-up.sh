#!/usr/bin/env bash
# The production stack on this machine, 127.0.0.1 only, everything under one var dir (docs/deployment.md):
#   nginx (TLS, static files, /protected/ for X-Accel-Redirect, upload limit)  https://127.0.0.1:$NGINX_PORT
#   gunicorn gthread (deploy/gunicorn.conf.py)                                   127.0.0.1:$WEB_PORT
#   PostgreSQL primary (the machine's cluster, 5432) + streaming replica          127.0.0.1:$REPLICA_PORT
#   pgbouncer, transaction mode, in front of both                                127.0.0.1:$PGBOUNCER_PORT
#   Redis (cache + broker, append-only file)                                     127.0.0.1:$REDIS_PORT
#   Celery worker and beat; moto_server as the S3 store for materials            127.0.0.1:$S3_PORT
# supervisord runs and restarts nginx, gunicorn, pgbouncer, Redis, the worker, beat and moto_server.
# scripts/prod-down.sh stops and removes all of it. As root it installs the Debian packages it needs.
#   PROD_VAR_DIR (default var/prod)  PROD_DB (default registry_stack)  PROD_DEMO_PEOPLE (demo data; 0 = none)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VAR="$(mkdir -p "${PROD_VAR_DIR:-$ROOT/var/prod}" && cd "${PROD_VAR_DIR:-$ROOT/var/prod}" && pwd)"
DB="${PROD_DB:-registry_stack}"
NGINX_PORT="${NGINX_PORT:-8480}"
WEB_PORT="${WEB_PORT:-8481}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICA_PORT="${REPLICA_PORT:-5433}"
PGBOUNCER_PORT="${PGBOUNCER_PORT:-6432}"
REDIS_PORT="${REDIS_PORT:-6380}"
S3_PORT="${S3_PORT:-9000}"
S3_TLS_PORT="${S3_TLS_PORT:-9443}"  # nginx in front of moto_server: pages are https, so are their images
H=127.0.0.1

say() { echo "==> $*"; }

# --- Debian packages ------------------------------------------------------------------------------
need=()
for pkg in nginx pgbouncer redis-server postgresql postgresql-client openssl gettext-base; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "缺少系统软件包：${need[*]}（请以 root 运行或先安装）" >&2; exit 1; }
  say "安装系统软件包：${need[*]}"
  apt-get update -qq
  # policy-rc.d may refuse to start the packaged services; this stack starts its own.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ "${PROD_SKIP_BOOTSTRAP:-0}" = 1 ] || source scripts/bootstrap.sh
PY="$ROOT/.venv/bin/python"

# --- PostgreSQL primary and replica ---------------------------------------------------------------
if ! pg_isready -h $H -p "$PRIMARY_PORT" -q 2>/dev/null; then
  say "启动 PostgreSQL 主库"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -h $H -p "$PRIMARY_PORT" -q && break; sleep 1; done
fi
pg_isready -h $H -p "$PRIMARY_PORT" -q || { echo "PostgreSQL 主库未能在 $H:$PRIMARY_PORT 启动" >&2; exit 1; }
psql -h $H -p "$PRIMARY_PORT" -U postgres -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
  psql -h $H -p "$PRIMARY_PORT" -U postgres -Xqc "CREATE DATABASE \"$DB\"" >/dev/null

mkdir -p "$VAR"/{log,run,nginx,pgbouncer,redis,static,media,keys}

# --- Secrets and the local TLS certificate (made once, kept in the var dir) -------------------------
[ -s "$VAR/keys/secret_key" ] || "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" >"$VAR/keys/secret_key"
if [ ! -s "$VAR/keys/tls.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$VAR/keys/tls.key" -out "$VAR/keys/tls.crt" >/dev/null 2>&1
fi
chmod 600 "$VAR/keys/secret_key" "$VAR/keys/tls.key"

# --- The environment of every process (deploy/env.template lists each variable) ----------------------
cat >"$VAR/registry.env" <<EOF
REGISTRY_ENV=production
REGISTRY_VAR_DIR=$VAR
DJANGO_SECRET_KEY=$(cat "$VAR/keys/secret_key")
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
DJANGO_CSRF_TRUSTED_ORIGINS=https://127.0.0.1:$NGINX_PORT,https://localhost:$NGINX_PORT
REGISTRY_TRUSTED_PROXIES=127.0.0.1
DJANGO_SECURE_HSTS_SECONDS=0
DATABASE_URL=postgres://postgres@$H:$PGBOUNCER_PORT/$DB
DATABASE_REPLICA_URL=postgres://postgres@$H:$PGBOUNCER_PORT/${DB}_replica
DATABASE_PGBOUNCER=true
REDIS_URL=redis://$H:$REDIS_PORT/0
STORAGE_BACKEND=s3
STORAGE_S3_BUCKET=materials
STORAGE_S3_ENDPOINT_URL=https://$H:$S3_TLS_PORT
STORAGE_S3_CA_BUNDLE=$VAR/keys/tls.crt
STORAGE_S3_ACCESS_KEY=local
STORAGE_S3_SECRET_KEY=local-secret
STORAGE_S3_REGION=us-east-1
STORAGE_S3_ADDRESSING_STYLE=path
MATERIALS_DELIVERY=redirect
SMS_BACKEND=file
SMS_FILE_PATH=$VAR/sms.jsonl
AUDIT_KEY_PATH=$VAR/keys/audit_keys.json
AUDIT_ANCHOR_DIR=$VAR/audit-anchors
TRANSFER_KEY_PATH=$VAR/keys/transfer_ed25519.pem
GUNICORN_BIND=$H:$WEB_PORT
EOF
set -a
# shellcheck disable=SC1091
source "$VAR/registry.env"
set +a
# Set up the schema against the primary itself (not through pgbouncer): migrations are long transactions.
direct_db="postgres://postgres@$H:$PRIMARY_PORT/$DB"

say "迁移数据库、收集静态文件"
# Its warnings (the stack's Redis is not up yet to hear reference-data changes) go to the log.
DATABASE_URL="$direct_db" DATABASE_PGBOUNCER=false "$PY" manage.py migrate --noinput >"$VAR/log/migrate.log" 2>&1 ||
  { tail -20 "$VAR/log/migrate.log" >&2; exit 1; }
"$PY" manage.py collectstatic --noinput >"$VAR/log/collectstatic.log"
[ -s "$AUDIT_KEY_PATH" ] || DATABASE_URL="$direct_db" "$PY" manage.py audit_keys --create >/dev/null
[ -s "$TRANSFER_KEY_PATH" ] || DATABASE_URL="$direct_db" "$PY" manage.py transfer_keys --create >/dev/null
if [ "${PROD_DEMO_PEOPLE:-0}" != 0 ]; then
  # Demo accounts have public passwords: seed_demo refuses production, so it runs as development here.
  say "演示数据（${PROD_DEMO_PEOPLE} 人）"
  # Its warnings go to the log too, as migrate's.
  REGISTRY_ENV=development DATABASE_URL="$direct_db" "$PY" manage.py seed_demo --people "$PROD_DEMO_PEOPLE" >"$VAR/log/seed.log" 2>&1 ||
    { tail -20 "$VAR/log/seed.log" >&2; exit 1; }
fi

say "流复制备库（pg_basebackup，端口 $REPLICA_PORT）"
scripts/pg-replica.sh start "$VAR/replica" "$REPLICA_PORT" "$PRIMARY_PORT" >/dev/null

# --- pgbouncer (runs as postgres: it refuses root) ------------------------------------------------
cat >"$VAR/pgbouncer/pgbouncer.ini" <<EOF
[databases]
$DB = host=$H port=$PRIMARY_PORT dbname=$DB
${DB}_replica = host=$H port=$REPLICA_PORT dbname=$DB

[pgbouncer]
listen_addr = $H
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $VAR/pgbouncer/userlist.txt
pool_mode = transaction
; every gunicorn thread and celery process may hold one client connection
max_client_conn = 1000
default_pool_size = 20
reserve_pool_size = 5
; a query waiting this long for a server connection is refused: with the default (120 s) a read
; queued when the replica stopped waited two minutes before the app could fall back to the primary
query_wait_timeout = 10
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $VAR/log/pgbouncer.log
EOF
echo '"postgres" ""' >"$VAR/pgbouncer/userlist.txt"
touch "$VAR/log/pgbouncer.log"
if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$VAR/pgbouncer" "$VAR/log/pgbouncer.log"; fi

# --- nginx ----------------------------------------------------------------------------------------
export LISTEN="$H:$NGINX_PORT" SERVER_NAME=127.0.0.1 TLS_CERT="$VAR/keys/tls.crt" TLS_KEY="$VAR/keys/tls.key" \
  UPSTREAM="$H:$WEB_PORT" STATIC_ROOT="$VAR/static" MEDIA_ROOT="$VAR/media" NGINX_PROXY_PARAMS="$ROOT/deploy/nginx/proxy_params"
envsubst '${LISTEN} ${SERVER_NAME} ${TLS_CERT} ${TLS_KEY} ${UPSTREAM} ${STATIC_ROOT} ${MEDIA_ROOT} ${NGINX_PROXY_PARAMS}' \
  <deploy/nginx/registry.conf >"$VAR/nginx/registry.conf"
cat >"$VAR/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $VAR/run/nginx.pid;
error_log $VAR/log/nginx-error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $VAR/log/nginx-access.log;
    client_body_temp_path $VAR/nginx/body;
    proxy_temp_path $VAR/nginx/proxy;
    fastcgi_temp_path $VAR/nginx/fastcgi;
    uwsgi_temp_path $VAR/nginx/uwsgi;
    scgi_temp_path $VAR/nginx/scgi;
    sendfile on;
    server_tokens off;
    include $VAR/nginx/registry.conf;
    # The local S3 store over TLS (presigned material URLs are fetched by the browser from an https page).
    server {
        listen $H:$S3_TLS_PORT ssl;
        ssl_certificate $VAR/keys/tls.crt;
        ssl_certificate_key $VAR/keys/tls.key;
        client_max_body_size 50m;
        location / {
            proxy_pass http://$H:$S3_PORT;
            proxy_set_header Host \$http_host;
        }
    }
}
EOF
nginx -t -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -g "user $(id -un);" 2>"$VAR/log/nginx-test.log" ||
  { cat "$VAR/log/nginx-test.log" >&2; exit 1; }

# --- supervisord ----------------------------------------------------------------------------------
cat >"$VAR/supervisord.conf" <<EOF
[unix_http_server]
file = $VAR/run/supervisor.sock

[supervisord]
logfile = $VAR/log/supervisord.log
pidfile = $VAR/run/supervisord.pid
childlogdir = $VAR/log
directory = $ROOT

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://$VAR/run/supervisor.sock

[program:redis]
command = redis-server --bind $H --port $REDIS_PORT --dir $VAR/redis --appendonly yes --save "" --protected-mode yes
priority = 10
autorestart = true
stdout_logfile = $VAR/log/redis.log
redirect_stderr = true

[program:s3]
command = $ROOT/.venv/bin/moto_server -H $H -p $S3_PORT
priority = 10
autorestart = true
stdout_logfile = $VAR/log/s3.log
redirect_stderr = true

[program:pgbouncer]
command = pgbouncer $VAR/pgbouncer/pgbouncer.ini
user = $([ "$(id -u)" = 0 ] && echo postgres || id -un)
priority = 10
autorestart = true
stdout_logfile = $VAR/log/pgbouncer.out
redirect_stderr = true

[program:web]
command = $ROOT/.venv/bin/gunicorn config.wsgi -c $ROOT/deploy/gunicorn.conf.py
priority = 20
autorestart = true
stopsignal = TERM
stopwaitsecs = 35
stdout_logfile = $VAR/log/web.log
redirect_stderr = true

[program:worker]
command = $ROOT/.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 --hostname=registry@%%h
priority = 30
autorestart = true
stopwaitsecs = 120
stopasgroup = true
stdout_logfile = $VAR/log/worker.log
redirect_stderr = true

[program:beat]
command = $ROOT/.venv/bin/celery -A config beat --loglevel=INFO --schedule=$VAR/run/celerybeat-schedule
priority = 30
autorestart = true
stdout_logfile = $VAR/log/beat.log
redirect_stderr = true

[program:nginx]
command = nginx -p $VAR/nginx -c $VAR/nginx/nginx.conf -g "daemon off; user $(id -un);"
priority = 40
autorestart = true
stdout_logfile = $VAR/log/nginx.out
redirect_stderr = true
EOF
if [ -S "$VAR/run/supervisor.sock" ] && "$ROOT/.venv/bin/supervisorctl" -c "$VAR/supervisord.conf" pid >/dev/null 2>&1; then
  # Its processes inherit supervisord's environment: a changed registry.env needs a new supervisord.
  say "supervisord 已在运行：停止后以新的环境重新启动"
  "$ROOT/.venv/bin/supervisorctl" -c "$VAR/supervisord.conf" shutdown >/dev/null
  for _ in $(seq 1 60); do [ -S "$VAR/run/supervisor.sock" ] || break; sleep 1; done
fi
say "启动 supervisord（nginx、gunicorn、pgbouncer、Redis、Celery worker/beat、moto_server）"
"$ROOT/.venv/bin/supervisord" -c "$VAR/supervisord.conf"

# The materials bucket (moto keeps it in memory: made again after each start).
for _ in $(seq 1 60); do curl -fs "http://$H:$S3_PORT/moto-api/" >/dev/null 2>&1 && break; sleep 0.5; done
"$PY" - <<EOF
import boto3
s3 = boto3.client("s3", endpoint_url="http://$H:$S3_PORT", aws_access_key_id="$STORAGE_S3_ACCESS_KEY",
                  aws_secret_access_key="$STORAGE_S3_SECRET_KEY", region_name="$STORAGE_S3_REGION")
if "$STORAGE_S3_BUCKET" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
    s3.create_bucket(Bucket="$STORAGE_S3_BUCKET")
EOF

URL="https://127.0.0.1:$NGINX_PORT"
for _ in $(seq 1 90); do
  curl -fsk "$URL/healthz?deep=1" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsk "$URL/healthz?deep=1" >/dev/null || {
  echo "栈未就绪：$URL/healthz?deep=1 不是 200；日志在 $VAR/log/" >&2
  exit 1
}
echo "$VAR" >"$ROOT/var/.prod-var-dir"
say "就绪：$URL （自签名证书）  日志：$VAR/log/  进程：.venv/bin/supervisorctl -c $VAR/supervisord.conf status"
