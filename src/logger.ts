/**
 * Structured logs (pino). The CLI logs to stderr so stdout stays clean for data (`info --json`, GeoJSON).
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level = 'info', destination: 'stderr' | 'stdout' = 'stderr'): Logger {
  return pino({ level, base: { app: 'waterline' } }, pino.destination(destination === 'stderr' ? 2 : 1));
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
