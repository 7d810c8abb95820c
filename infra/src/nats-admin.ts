import { closeNats, connectNats, createLogger, LOCAL_DEFAULTS, type Logger, type Nats } from '@cm/platform';

/** The NATS URL every infra tool uses, as the services read it. */
export const natsUrl = (): string => process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL;

/** A logger for infra tools: quiet unless LOG_LEVEL says otherwise, JSON so it never needs a worker thread. */
export function toolLogger(name: string): Logger {
  const level = (process.env.LOG_LEVEL ?? 'warn') as 'warn';
  return createLogger(name, { LOG_LEVEL: level, LOG_FORMAT: 'json', NODE_ENV: 'development' });
}

/** Runs `fn` with a NATS connection (the platform helper) and closes it afterwards, whatever happens. */
export async function withNats<T>(name: string, fn: (nats: Nats) => Promise<T>, url = natsUrl()): Promise<T> {
  const nats = await connectNats(url, name, toolLogger(name));
  try {
    return await fn(nats);
  } finally {
    await closeNats(nats);
  }
}
