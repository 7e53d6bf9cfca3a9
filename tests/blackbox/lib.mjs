// Helpers for black-box tests: start the real flowgate binary (and its mock
// upstream) on loopback ports with a temporary data folder, and stop them.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export const BIN = process.env.FLOWGATE_BIN || 'build/debug/flowgate';

function waitForLine(child, regex, what, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${seen}`)), timeoutMs);
    const onData = (d) => {
      seen += d.toString();
      const m = seen.match(regex);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${seen}`));
    });
  });
}

// Starts `flowgate mock-llm` on a free port; returns { url, stats(), stop() }.
export async function startMock(args = []) {
  const child = spawn(BIN, ['mock-llm', '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitForLine(child, /listening on (http:\/\/[0-9.:]+)\//, 'mock-llm');
  const url = m[1];
  child.removeAllListeners('exit');
  return {
    url,
    child,
    async stats() {
      const r = await fetch(`${url}/mock/stats`);
      return r.json();
    },
    stop() { return stopChild(child); },
  };
}

// Starts `flowgate serve` with the given YAML configuration text (the string
// MOCK_URL is replaced by the mock's URL). Returns { url, dataDir, child, stop(), log() }.
// prepare(dataDir) may put files in place first; DATA in the configuration is
// replaced by the data folder.
export async function startServer(configYaml, { mockUrl = '', env = {}, prepare } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowgate-test-'));
  const cfgPath = join(dataDir, 'flowgate.yaml');
  if (prepare) prepare(join(dataDir, 'data'));
  writeFileSync(cfgPath, configYaml.replaceAll('MOCK_URL', mockUrl).replaceAll('DATA', join(dataDir, 'data')));
  const child = spawn(BIN, ['serve', '--config', cfgPath, '--port', '0', '--data', join(dataDir, 'data')],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const m = await waitForLine(child, /listening on (http:\/\/[0-9.:]+)\//, 'flowgate serve');
  child.removeAllListeners('exit');
  const url = m[1];
  return {
    url,
    dataDir,
    child,
    log: () => log,
    async stop() {
      const code = await stopChild(child);
      // A server that died or failed to stop cleanly shows its log (sanitizer reports).
      if (code !== 0) process.stderr.write(`flowgate serve ended with ${code}; its log:\n${log.slice(-20000)}\n`);
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

export function stopChild(child, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.on('exit', (code, sig) => resolve(code ?? sig));
    child.kill(signal);
  });
}

// Sends raw bytes on a new TCP connection and collects the reply until the
// server closes or timeoutMs passes.
export function rawRequest(url, chunks, { timeoutMs = 5000, gapMs = 0 } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), hostname);
    let reply = '';
    const done = () => { sock.destroy(); resolve(reply); };
    const timer = setTimeout(done, timeoutMs);
    sock.on('data', (d) => { reply += d.toString(); });
    sock.on('close', () => { clearTimeout(timer); resolve(reply); });
    sock.on('error', () => {});
    sock.on('connect', async () => {
      for (const c of chunks) {
        sock.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
