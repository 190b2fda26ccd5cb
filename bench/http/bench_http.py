#!/usr/bin/env python3
"""bench/http: exosafe's HTTP API under load, beside nginx serving the same bytes (issue 16).

Builds a fresh demo database in a temporary directory (exosafe init + demo), starts
`exosafe serve --mode demo` and nginx (one worker, access log off, a throwaway config) on free
loopback ports, signs in as demo accounts through the API, and adds a logger with a week of
readings in the lot's fridge. Then for each read endpoint it fetches the real answer once,
writes those bytes as a static file for nginx, and runs wrk (64 connections, one thread) on
exosafe and right after on nginx's file of the same size. Then a durable write (a patient's
adverse-event report, POST with session cookie and CSRF token), and /me under load while a
second patient writes at a low rate ("other clients unaffected": its p99).

Prints one table: req/s, p50, p99, non-2xx (wrk's count of answers >= 400) and socket errors
(connect, read, write, time-outs), nginx req/s at the same size, the ratio, and whether issue 16's target
is met (reads: >= 50 % of nginx at the same size and p99 <= 10 ms; writes: >= 2,000/s and
p99 <= 20 ms). Exits 0 when the measurement ran, whether or not targets are met; 1 when the
harness itself failed (a server would not start, a sign-in or a first fetch failed, wrk
printed nothing). Both servers are stopped on every way out.

Needs wrk and nginx (scripts/deps.sh installs them) and a built build/exosafe.

  bench/http/bench_http.py [--seconds N] [--connections N] [--exosafe PATH] [--keep]
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JST = datetime.timezone(datetime.timedelta(hours=9))
# Issue 16's targets.
READ_SHARE, READ_P99_MS = 0.50, 10.0
WRITE_RATE, WRITE_P99_MS = 2000.0, 20.0
# Patients in the doctor's review queue (its first page is 50 rows).
QUEUE_PATIENTS = 20
# The demo log-ins (src/service/demo.c).
DEMO = {
    'doctor': ('doctor@clinic.example', 'doctor-demo-pass'),
    'pharmacist': ('pharmacist@clinic.example', 'pharmacist-demo-pass'),
    'patient': ('hanako@patient.example', 'patient-demo-pass'),
    'patient2': ('taro@patient.example', 'patient-demo-pass'),
}

# wrk's Lua: the request (method, body, headers from the environment) and, when done, one JSON
# line with the figures the table needs (latencies in microseconds).
WRK_LUA = r'''
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
local csrf = os.getenv("BENCH_CSRF")
if csrf and csrf ~= "" then wrk.headers["X-CSRF-Token"] = csrf end
if wrk.body then wrk.headers["Content-Type"] = "application/json" end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50.0), latency:percentile(99.0), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
'''


class HarnessError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, seconds=15):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise HarnessError(f'{what} exited with status {proc.returncode} while starting')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise HarnessError(f'{what} is not listening on port {port} after {seconds} s')


def stop(proc, sig=signal.SIGTERM):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Session:
    """One signed-in API client: keeps its cookies and sends the CSRF token on writes."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h['Cookie'] = self.cookie_header()
        if method != 'GET' and 'exosafe_csrf' in self.cookies:
            h['X-CSRF-Token'] = self.cookies['exosafe_csrf']
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h.setdefault('Content-Type', 'application/json')
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=h)
                res = self.conn.getresponse()
                payload = res.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # The server closed a kept-alive connection: one fresh try.
                self.conn.close()
                self.conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
                if attempt == 2:
                    raise
        for line in res.headers.get_all('Set-Cookie') or []:
            name, _, rest = line.partition('=')
            value = rest.split(';', 1)[0]
            if value:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return res.status, payload

    def cookie_header(self):
        return '; '.join(f'{k}={v}' for k, v in self.cookies.items())

    def expect(self, status, method, path, body=None, headers=None):
        got, payload = self.request(method, path, body, headers)
        if got != status:
            raise HarnessError(f'{method} {path}: expected {status}, got {got}: {payload[:300]!r}')
        return json.loads(payload) if payload else None

    def login(self, who):
        email, password = DEMO[who]
        self.expect(200, 'GET', '/api/v1/auth/csrf')
        self.expect(200, 'POST', '/api/v1/auth/login', {'email': email, 'password': password})
        return self


def ae_body():
    # Yesterday in JST: a report's onset may not be after today (JST).
    onset = (datetime.datetime.now(JST) - datetime.timedelta(days=1)).strftime('%Y-%m-%d')
    return json.dumps({'symptoms': ['itching'], 'description': 'bench', 'onset_date': onset,
                       'ongoing': True, 'severity': 'mild'})


def setup_data(port):
    """Signs in, adds a watched fridge with a logger and a week of readings; returns the
    sessions and the ids the endpoints need."""
    s = {who: Session(port).login(who) for who in DEMO}
    products = s['patient'].expect(200, 'GET', '/api/v1/public/products')['products']
    if not products:
        raise HarnessError('the demo database has no public product')
    product_id = products[0]['id']
    lots = s['patient'].expect(200, 'GET', f'/api/v1/public/products/{product_id}')['lots']
    if not lots:
        raise HarnessError('the demo product has no public lot')
    lot_id = lots[0]['id']

    # The doctor's queue: patients who answered the questionnaire, every third with a blocking flag.
    q = s['patient'].expect(200, 'GET', '/api/v1/questionnaire')['questionnaire']
    today = datetime.datetime.now(JST).date()
    for i in range(QUEUE_PATIENTS):
        c = Session(port)
        c.expect(200, 'GET', '/api/v1/auth/csrf')
        c.expect(201, 'POST', '/api/v1/auth/signup', {
            'email': f'bench{i}@patient.example', 'password': 'bench-patient-pass', 'name': f'患者 {i}',
            'name_kana': 'カンジャ', 'birth_date': '1985-04-01', 'sex': 'female', 'phone': '090-1234-5678',
            'postal_code': '150-0001', 'address': '東京都渋谷区神宮前1-1-1'})
        age = today.year - 1985 - (1 if (today.month, today.day) < (4, 1) else 0)
        c.expect(201, 'POST', '/api/v1/questionnaire/responses', {
            'questionnaire_id': q['id'], 'version': q['version'], 'answers': {
                'age': age, 'allergy': False, 'allergy_biologic': False, 'allergy_cosmetic': False,
                'anaphylaxis': i % 3 == 0, 'skin_site': ['none'], 'pregnancy': 'not_applicable',
                'immunosuppression': False, 'cancer': False, 'malignancy': False, 'prior_treatment': False}})

    ph = s['pharmacist']
    unit = ph.expect(201, 'POST', '/api/v1/storage-units', {'name': 'bench fridge', 'kind': 'refrigerator'})['unit']
    made = ph.expect(201, 'POST', '/api/v1/loggers', {'code': 'BENCH-1', 'unit_id': unit['id'],
                                                      'interval_seconds': 300, 'ingest': True})
    logger_id = made['logger']['id']
    ph.expect(200, 'POST', f'/api/v1/lots/{lot_id}/placement', {'unit_id': unit['id']})
    # A week at five-minute intervals, 4.2–5.8 °C (inside the product's range: no alert).
    now = int(time.time()) // 300 * 300
    first = now - 7 * 86400
    readings = [{'at': datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                 'celsius': round(5.0 + 0.8 * ((t // 300) % 7 - 3) / 3, 1)} for t in range(first, now, 300)]
    feed = Session(port)
    feed.expect(200, 'POST', f'/api/v1/loggers/{logger_id}/readings', {'readings': readings},
                {'Authorization': f'Bearer {made["api_key"]}'})
    iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    series = f'/api/v1/loggers/{logger_id}/series?' + urllib.parse.urlencode(
        {'from': iso(first), 'to': iso(now), 'points': 300})
    return s, product_id, lot_id, series


def run_wrk(url, seconds, connections, lua, env_extra):
    env = dict(os.environ)
    for k in ('BENCH_METHOD', 'BENCH_BODY', 'BENCH_COOKIE', 'BENCH_CSRF'):
        env.pop(k, None)
    env.update(env_extra)
    cmd = ['wrk', '-t1', f'-c{connections}', f'-d{seconds}s', '--latency', '--timeout', '5s', '-s', lua, url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith('BENCH '):
            r = json.loads(line[6:])
            r['rate'] = r['requests'] / (r['duration_us'] / 1e6) if r['duration_us'] else 0.0
            r['socket'] = r['connect'] + r['read'] + r['write'] + r['timeout']
            r['bad'] = r['status'] + r['socket']
            return r
    raise HarnessError(f'wrk gave no figures for {url} (status {out.returncode}): {out.stderr.strip()[:300]}')


def trickle_writes(port, cookie_session, stop_event, rate, out):
    """The other client: one AE report every 1/rate s on its own connection, each timed."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    headers = {'Cookie': cookie_session.cookie_header(), 'X-CSRF-Token': cookie_session.cookies['exosafe_csrf'],
               'Content-Type': 'application/json'}
    body = ae_body().encode()
    next_at = time.monotonic()
    while not stop_event.is_set():
        t0 = time.monotonic()
        try:
            conn.request('POST', '/api/v1/adverse-events', body=body, headers=headers)
            res = conn.getresponse()
            res.read()
            ok = 200 <= res.status < 300
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        out.append((time.monotonic() - t0, ok))
        next_at += 1.0 / rate
        stop_event.wait(max(0.0, next_at - time.monotonic()))
    conn.close()


def quantile(values, q):
    v = sorted(values)
    if not v:
        return 0.0
    rank = max(1, min(len(v), int(q * len(v) + 0.999999)))
    return v[rank - 1]


def nginx_conf(prefix, port, root):
    user = 'user root root;\n' if os.geteuid() == 0 else ''
    return f'''{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    default_type application/json;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
'''


def fmt_rate(r):
    return f'{r / 1000:.1f} k' if r >= 1000 else f'{r:.0f}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--seconds', type=int, default=10, help='wrk duration per run (default 10)')
    ap.add_argument('--connections', type=int, default=64, help='wrk connections (default 64)')
    ap.add_argument('--trickle-rate', type=float, default=20.0,
                    help="the other client's writes per second during /me under load (default 20)")
    ap.add_argument('--exosafe', default=os.path.join(ROOT, 'build', 'exosafe'))
    ap.add_argument('--config', help="an INI file for 'exosafe serve' (e.g. [server] threads)")
    ap.add_argument('--keep', action='store_true', help='keep the temporary directory (database, logs)')
    a = ap.parse_args()
    if a.seconds < 1 or a.connections < 1 or a.trickle_rate <= 0:
        ap.error('--seconds, --connections and --trickle-rate must be positive')
    for tool in ('wrk', 'nginx'):
        if shutil.which(tool) is None and not os.path.exists(f'/usr/sbin/{tool}'):
            print(f'bench_http: {tool} is not installed (scripts/deps.sh installs it)', file=sys.stderr)
            return 1
    if not os.access(a.exosafe, os.X_OK):
        print(f'bench_http: {a.exosafe} is not built (ninja -C build)', file=sys.stderr)
        return 1

    tmp = tempfile.mkdtemp(prefix='exosafe-bench-http-')
    os.chmod(tmp, 0o755)  # nginx's worker reads the files
    procs = []

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        return measure(a, tmp, procs)
    except HarnessError as e:
        print(f'bench_http: {e}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('bench_http: interrupted', file=sys.stderr)
        return 1
    finally:
        for p in reversed(procs):
            stop(p, signal.SIGQUIT if p.args[0].endswith('nginx') else signal.SIGTERM)
        if a.keep:
            print(f'kept {tmp}')
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(a, tmp, procs):
    db = os.path.join(tmp, 'exosafe.db')
    for cmd in (['init', '--db', db], ['demo', '--db', db]):
        r = subprocess.run([a.exosafe] + cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError(f'exosafe {cmd[0]} failed: {r.stderr.strip()[:300]}')
    port = free_port()
    log = open(os.path.join(tmp, 'exosafe.log'), 'w')
    procs.append(subprocess.Popen([a.exosafe, 'serve', '--db', db, '--port', str(port), '--mode', 'demo',
                                   '--web', os.path.join(ROOT, 'web'), '--data', os.path.join(ROOT, 'data')]
                                  + (['--config', os.path.abspath(a.config)] if a.config else []),
                                  stdout=log, stderr=subprocess.STDOUT, cwd=tmp))
    wait_listening(port, procs[-1], 'exosafe serve')

    sessions, product_id, lot_id, series = setup_data(port)
    doctor, pharmacist, patient, patient2 = (sessions[k] for k in ('doctor', 'pharmacist', 'patient', 'patient2'))
    reads = [
        ('GET /api/v1/health', '/api/v1/health', None),
        ('GET /api/v1/me (patient)', '/api/v1/me', patient),
        ('GET /api/v1/public/products/{id}', f'/api/v1/public/products/{product_id}', None),
        ('GET /api/v1/public/lots/{id}', f'/api/v1/public/lots/{lot_id}', None),
        ('GET /api/v1/review/queue (doctor)', '/api/v1/review/queue', doctor),
        ('GET /api/v1/loggers/{id}/series (7 days)', series, pharmacist),
    ]

    www = os.path.join(tmp, 'www')
    os.makedirs(www)
    for i, (_, path, who) in enumerate(reads):
        status, payload = (who or Session(port)).request('GET', path)
        if status != 200:
            raise HarnessError(f'GET {path}: {status} {payload[:300]!r}')
        with open(os.path.join(www, f'r{i}.json'), 'wb') as f:
            f.write(payload)
        os.chmod(os.path.join(www, f'r{i}.json'), 0o644)
    nginx_port = free_port()
    prefix = os.path.join(tmp, 'nginx')
    os.makedirs(prefix)
    conf = os.path.join(prefix, 'nginx.conf')
    with open(conf, 'w') as f:
        f.write(nginx_conf(prefix, nginx_port, www))
    nginx = shutil.which('nginx') or '/usr/sbin/nginx'
    procs.append(subprocess.Popen([nginx, '-p', prefix, '-c', conf, '-e', os.path.join(prefix, 'error.log')],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
    wait_listening(nginx_port, procs[-1], 'nginx')

    lua = os.path.join(tmp, 'bench.lua')
    with open(lua, 'w') as f:
        f.write(WRK_LUA)
    base, nbase = f'http://127.0.0.1:{port}', f'http://127.0.0.1:{nginx_port}'
    print(f'bench/http: wrk -t1 -c{a.connections} -d{a.seconds}s on exosafe (127.0.0.1:{port}) and nginx '
          f'(one worker, 127.0.0.1:{nginx_port}) serving each answer\'s bytes; {os.cpu_count()} CPUs', flush=True)

    rows = []
    for i, (name, path, who) in enumerate(reads):
        env = {'BENCH_COOKIE': who.cookie_header()} if who else {}
        size = os.path.getsize(os.path.join(www, f'r{i}.json'))
        ex = run_wrk(base + path, a.seconds, a.connections, lua, env)
        ng = run_wrk(f'{nbase}/r{i}.json', a.seconds, a.connections, lua, {})
        rows.append(('read', name, size, ex, ng))
        print(f'  {name}: {fmt_rate(ex["rate"])} req/s, nginx {fmt_rate(ng["rate"])}', flush=True)

    write_env = {'BENCH_METHOD': 'POST', 'BENCH_BODY': ae_body(), 'BENCH_COOKIE': patient.cookie_header(),
                 'BENCH_CSRF': patient.cookies['exosafe_csrf']}
    status, payload = patient.request('POST', '/api/v1/adverse-events', ae_body().encode(),
                                      {'Content-Type': 'application/json'})
    if status != 201:
        raise HarnessError(f'POST /api/v1/adverse-events: {status} {payload[:300]!r}')
    wr = run_wrk(base + '/api/v1/adverse-events', a.seconds, a.connections, lua, write_env)
    rows.append(('write', 'POST /api/v1/adverse-events (patient)', len(payload), wr, None))
    print(f'  POST /api/v1/adverse-events: {fmt_rate(wr["rate"])} req/s', flush=True)

    # /me under load while another patient writes at a low rate on its own connection.
    samples, stop_event = [], threading.Event()
    t = threading.Thread(target=trickle_writes, args=(port, patient2, stop_event, a.trickle_rate, samples))
    t.start()
    try:
        under = run_wrk(base + '/api/v1/me', a.seconds, a.connections, lua, {'BENCH_COOKIE': patient.cookie_header()})
    finally:
        stop_event.set()
        t.join()
    if not samples:
        raise HarnessError('the other client made no write during /me under load')
    lat_ms = [s[0] * 1000 for s in samples]
    failed = sum(1 for s in samples if not s[1])
    other = {'n': len(samples), 'p50': quantile(lat_ms, 0.5), 'p99': quantile(lat_ms, 0.99), 'max': max(lat_ms),
             'failed': failed}

    print_table(a, rows, under, other)
    return 0


def print_table(a, rows, under, other):
    print()
    print(f'| endpoint | bytes | req/s | p50 | p99 | non-2xx / socket errors | nginx req/s (same size) | ratio | target |')
    print('|---|---|---|---|---|---|---|---|---|')
    for kind, name, size, ex, ng in rows:
        p50, p99 = ex['p50_us'] / 1000, ex['p99_us'] / 1000
        if kind == 'read':
            ratio = ex['rate'] / ng['rate'] if ng['rate'] else 0.0
            met = ratio >= READ_SHARE and p99 <= READ_P99_MS and ex['bad'] == 0
            target = f'{"met" if met else "missed"} (≥ {READ_SHARE:.0%}, p99 ≤ {READ_P99_MS:g} ms)'
            nginx = f'{fmt_rate(ng["rate"])} (p99 {ng["p99_us"] / 1000:.1f} ms)'
            ratio_s = f'{ratio:.0%}'
        else:
            met = ex['rate'] >= WRITE_RATE and p99 <= WRITE_P99_MS and ex['bad'] == 0
            target = f'{"met" if met else "missed"} (≥ {WRITE_RATE:,.0f}/s, p99 ≤ {WRITE_P99_MS:g} ms)'
            nginx, ratio_s = '—', '—'
        print(f'| `{name}` | {size:,} | {fmt_rate(ex["rate"])} | {p50:.1f} ms | {p99:.1f} ms | {ex["status"]} / {ex["socket"]} '
              f'| {nginx} | {ratio_s} | {target} |')
    met = other['p99'] <= WRITE_P99_MS and other['failed'] == 0
    print(f'| another patient\'s writes ({a.trickle_rate:g}/s) while `GET /api/v1/me` is under load '
          f'({fmt_rate(under["rate"])} req/s, p99 {under["p99_us"] / 1000:.1f} ms, non-2xx {under["status"]}, '
          f'socket errors {under["socket"]}) '
          f'| | {other["n"]} writes | {other["p50"]:.1f} ms | {other["p99"]:.1f} ms (max {other["max"]:.0f}) '
          f'| {other["failed"]} | — | — | {"met" if met else "missed"} (p99 ≤ {WRITE_P99_MS:g} ms) |')
    print()
    print('non-2xx: answers >= 400; socket errors: connect, read, write errors and time-outs (wrk --timeout 5s). '
          'A run with any of either does not meet its target.')


if __name__ == '__main__':
    sys.exit(main())
