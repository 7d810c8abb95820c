import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The workspace root, where services run from. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = `${ROOT}command-service/dist/main.js`;

export interface RunningCommandService {
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/**
 * Runs the built command service as its own process on `namespace` (so it shares nothing with other
 * systems on the same NATS server) and resolves once its `/ready` answers 200. The caller deletes the
 * namespace's stream afterwards.
 */
export async function startCommandService(namespace: string, timeoutMs = 45_000): Promise<RunningCommandService> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build command-service first`);
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, CM_NAMESPACE: namespace, COMMAND_OPS_PORT: String(port), NODE_ENV: 'test', LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`command service exited (${child.exitCode}):\n${output}`);
    if (await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false)) return { stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`command service not ready after ${timeoutMs} ms:\n${output}`);
}
