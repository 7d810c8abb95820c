import { pino, type Logger } from 'pino';
import type { BaseConfig } from './config.js';

export type { Logger };

/**
 * The one logger setup: pino JSON with the service name on every line, or pretty output for a terminal.
 * Pretty printing runs in a worker thread, so it costs the event loop nothing.
 */
export function createLogger(
  service: string,
  config: Pick<BaseConfig, 'LOG_LEVEL' | 'LOG_FORMAT' | 'NODE_ENV'>,
): Logger {
  const format = config.LOG_FORMAT ?? (config.NODE_ENV === 'development' ? 'pretty' : 'json');
  return pino({
    name: service,
    level: config.LOG_LEVEL,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'authorization', 'token'],
    ...(format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
