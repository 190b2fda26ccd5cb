#!/usr/bin/env bash
# README "Running on PostgreSQL", followed step by step on the throwaway cluster:
# scripts/pg-roles.sql makes a database with an owner role and a server role, `exosafe init`
# runs as the owner, scripts/pg-grants.sql gives the server role its rights, and then exosafe
# works as the server role (demo data written, audit chain verified, HTTP served) over TLS with
# sslmode=verify-full, while that role cannot rewrite the audit log, switch its triggers off or
# change the schema. No command prints a password.
#
#   least_privilege.sh EXOSAFE SOURCE_ROOT    (run through scripts/with-pg.sh)
set -euo pipefail

bin=$(realpath "$1")
root=$(realpath "$2")
: "${EXOSAFE_TEST_PG_URL:?run through scripts/with-pg.sh}"
: "${EXOSAFE_TEST_PG_DIR:?run through scripts/with-pg.sh}"
py=/usr/bin/python3

fail() { echo "FAIL: $*" >&2; exit 1; }
base=${EXOSAFE_TEST_PG_URL%/*}        # postgres://superuser@127.0.0.1:PORT
hostport=${base#*@}
port=${hostport##*:}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Roles are global to a cluster: unique names, so the test can run again on the same one.
tag=lp$$
owner=${tag}_owner app=${tag}_app db=${tag}
owner_pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
app_pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

# TLS: a CA of our own and a server certificate for 127.0.0.1, switched on with a reload.
tls=$EXOSAFE_TEST_PG_DIR/tls
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=exosafe test CA" \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server.key" \
  -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/san.ext" -out "$tls/server.crt" 2>/dev/null
chmod 600 "$tls/server.key"
chown -R "$(stat -c %U "$EXOSAFE_TEST_PG_DIR")" "$tls"
psql -X -q "$base/postgres" -v ON_ERROR_STOP=1 \
  -c "ALTER SYSTEM SET ssl_cert_file = '$tls/server.crt'" \
  -c "ALTER SYSTEM SET ssl_key_file = '$tls/server.key'" \
  -c "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
# A CA that did not sign the server's certificate: verify-full refuses the connection.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
  -keyout "$work/other.key" -out "$work/other.crt" 2>/dev/null

psql -X -q "$base/postgres" -v db="$db" -v owner="$owner" -v app="$app" \
  -v owner_password="$owner_pw" -v app_password="$app_pw" -f "$root/scripts/pg-roles.sql" >/dev/null

tls_query="sslmode=verify-full&sslrootcert=$work/ca.crt"
owner_url="postgres://$owner:$owner_pw@$hostport/$db?$tls_query"
app_url="postgres://$app:$app_pw@$hostport/$db?$tls_query"
out=$work/out.txt
: > "$out"

"$bin" init --db "$owner_url" >>"$out" 2>&1 || { cat "$out"; fail "init as the owner"; }
psql -X -q "$owner_url" -v app="$app" -f "$root/scripts/pg-grants.sql" >/dev/null
echo "init as the owner, grants: ok"

"$bin" demo --db "$app_url" >>"$out" 2>&1 || { cat "$out"; fail "demo as the server role"; }
"$bin" audit verify --db "$app_url" >>"$out" 2>&1 || { cat "$out"; fail "audit verify as the server role"; }
echo "demo data and audit verify as the server role: ok"

# The connection really is TLS, and a certificate from another CA is refused, clearly.
ssl=$(psql -X -At "$app_url" -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
[ "$ssl" = t ] || fail "the connection is not TLS ($ssl)"
if "$bin" audit verify --db "postgres://$app:$app_pw@$hostport/$db?sslmode=verify-full&sslrootcert=$work/other.crt" \
    >"$work/refused.txt" 2>&1; then
  fail "a server certificate from another CA was accepted"
fi
grep -qi "certificate" "$work/refused.txt" || { cat "$work/refused.txt"; fail "the refusal does not name the certificate"; }
cat "$work/refused.txt" >>"$out"
sed "s/^/  /" "$work/refused.txt"
echo "TLS verify-full, wrong CA refused: ok"

refused() {
  if psql -X -q "$app_url" -v ON_ERROR_STOP=1 -c "$1" >/dev/null 2>&1; then fail "the server role could: $1"; fi
}
refused "UPDATE audit_log SET action = action"
refused "DELETE FROM audit_log"
refused "TRUNCATE audit_log"
refused "ALTER TABLE audit_log DISABLE TRIGGER ALL"
refused "DROP TRIGGER audit_log_no_update ON audit_log"
refused "CREATE TABLE intruder (i integer)"
refused "DELETE FROM schema_version"
echo "the server role cannot rewrite the audit log, its triggers or the schema: ok"

# Served as the server role: health answers and a patient logs in (a write: session, audit).
http_port=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --db "$app_url" --port "$http_port" --bind 127.0.0.1 --web "$root/web" >>"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
$py - "$http_port" <<'EOF' || fail "serving as the server role"
import http.cookiejar, json, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/api/v1/health", timeout=2).read()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the server did not answer")
jar = http.cookiejar.CookieJar()
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
csrf = json.load(web.open(base + "/api/v1/auth/csrf"))["csrf_token"]
body = json.dumps({"email": "hanako@patient.example", "password": "patient-demo-pass"}).encode()
req = urllib.request.Request(base + "/api/v1/auth/login", data=body, method="POST",
                             headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
web.open(req).read()
me = json.load(web.open(base + "/api/v1/me"))
assert me["user"]["email"] == "hanako@patient.example", me
EOF
kill "$server"; wait "$server" 2>/dev/null || true
"$bin" audit verify --db "$app_url" >>"$out" 2>&1 || { cat "$out"; fail "audit verify after serving"; }
echo "served as the server role, a patient logged in, the chain still verifies: ok"

if grep -qF -e "$owner_pw" -e "$app_pw" "$out"; then
  grep -nF -e "$owner_pw" -e "$app_pw" "$out" | sed "s/$owner_pw\|$app_pw/<password>/g"
  fail "a command printed a password"
fi
echo "no password in any output: ok"
