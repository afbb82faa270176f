type LogFn = (data: Record<string, unknown>, message?: string) => void;

/**
 * The subset of pino's API aiproxy packages log through, so a package can be
 * used without pino and a gateway can pass its pino logger straight in.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
