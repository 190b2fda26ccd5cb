// A real local SMTP server for the mail tests (tests/lib/smtp_sink.py on Debian's
// python3-aiosmtpd). startSmtp() starts it on a free loopback port (or a given one, to bring
// a relay back up where exosafe expects it); stop() ends it; every test file stops it in an
// after() hook, so a failing test does not leave it running.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './server.mjs';

// The system Python: aiosmtpd is a Debian package, not in a pyenv or virtualenv.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

/** Starts the sink; returns {port, url, messages(), waitFor(pred, ms), stop()}. */
export async function startSmtp(opts = {}) {
  const port = opts.port ?? await freePort();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'exosafe-smtp-'));
  const out = join(dir, 'messages.jsonl');
  const child = spawn(python, [join(root, 'tests/lib/smtp_sink.py'), String(port), out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  await new Promise((ok, fail) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); fail(new Error(`smtp sink did not start: ${stderr}`)); }, 10000);
    child.stdout.on('data', (d) => { if (String(d).includes('ready')) { clearTimeout(t); ok(); } });
    child.once('exit', (code) => { clearTimeout(t); fail(new Error(`smtp sink exited (${code}): ${stderr}`)); });
  });
  const messages = () => existsSync(out)
    ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  return {
    port, dir, url: `smtp://127.0.0.1:${port}`,
    messages,
    /** Waits until pred(messages) is true; returns the messages (throws after ms). */
    async waitFor(pred, ms = 15000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = messages();
        if (pred(m)) return m;
        if (Date.now() > deadline) throw new Error(`timed out waiting for mail; have ${JSON.stringify(m.map((x) => [x.to, x.subject]))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Stops the sink; keep leaves the folder (a relay restarted on the same port reuses it). */
    async stop({ keep = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => { const t = setTimeout(() => { child.kill('SIGKILL'); r(); }, 5000); child.once('exit', () => { clearTimeout(t); r(); }); });
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}
