import { freePort } from '@cm/infra';
import { distEntry, ServiceProcess } from './service-process.js';

export interface RunningCommandService {
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

/**
 * Runs the built command service as its own process on `namespace` (so it shares nothing with other
 * systems on the same NATS server) and resolves once its `/ready` answers 200. The caller deletes the
 * namespace's stream afterwards.
 */
export async function startCommandService(namespace: string, timeoutMs = 45_000): Promise<RunningCommandService> {
  const port = await freePort();
  const env = {
    CM_NAMESPACE: namespace,
    COMMAND_OPS_PORT: String(port),
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  const service = new ServiceProcess('command-service', distEntry('command-service'), env, port);
  service.start();
  try {
    await service.waitReady(timeoutMs);
  } catch (e) {
    await service.stop();
    throw e;
  }
  return { stop: () => service.stop() };
}
