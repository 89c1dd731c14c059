import winston from 'winston';

export type Logger = winston.Logger;

/**
 * A JSON logger; fields such as `sagaId`, `orderId`, `commandId` go in the metadata object.
 *
 * A call below the logger's level returns at once. winston alone would still write the entry into
 * its stream and run every format on it (timestamp, JSON) before its transport drops it, and the hot
 * paths log at `debug` for every message they handle.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return skipDisabledLevels(
    winston.createLogger({
      level,
      defaultMeta: { service },
      format: winston.format.combine(
        winston.format.timestamp(),
        winston.format.errors({ stack: true }),
        winston.format.json(),
      ),
      transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
    }),
  );
}

/** Makes each level's method a no-op while that level is disabled (checked at each call: levels can change). */
function skipDisabledLevels(logger: Logger): Logger {
  const methods = logger as unknown as Record<string, (...args: unknown[]) => Logger>;
  for (const level of Object.keys(logger.levels)) {
    const write = methods[level]!;
    methods[level] = function (this: Logger, ...args: unknown[]) {
      return this.isLevelEnabled(level) ? write.apply(this, args) : this;
    };
  }
  return logger;
}

/** A logger that writes nothing, for tests that do not read logs. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
