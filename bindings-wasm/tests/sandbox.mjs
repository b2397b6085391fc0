// Starts tests/sandbox/server.py (the independent WeChat Pay stand-in) for a test file.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOT } from './vector-runner.mjs';

export async function startSandbox() {
  const python = process.env.SANDBOX_PYTHON ?? 'python3';
  // Notification retries 1000× faster than WeChat Pay's schedule (15 s → 15 ms).
  const args = [join(ROOT, 'tests/sandbox/server.py'), '--port', '0', '--notify-time-scale', '0.001'];
  const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sandbox did not start within 20 s')), 20000);
    createInterface({ input: child.stdout }).once('line', (l) => { clearTimeout(timer); resolve(l); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sandbox exited with ${code}`)); });
  });
  if (!line.startsWith('SANDBOX_URL=')) throw new Error(`sandbox said ${line}`);
  const url = line.slice('SANDBOX_URL='.length);
  const control = async (method, path, body) => {
    const res = await fetch(url + path, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body), signal: AbortSignal.timeout(10000) });
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  };
  return {
    url,
    control,
    state: async (id) => (await control('GET', '/sandbox/state')).records.find((r) => r.id === id).state,
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}
