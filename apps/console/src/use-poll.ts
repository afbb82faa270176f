import { useEffect, useState } from "preact/hooks";

/** Loads now and every `everyMs`, aborting the one in flight on unmount. */
export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  everyMs: number,
  deps: unknown[] = [],
) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        setValue(await load(controller.signal));
        setError(undefined);
      } catch (e) {
        if (!controller.signal.aborted) setError(e);
      }
      if (!controller.signal.aborted && everyMs > 0) timer = setTimeout(run, everyMs);
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { value, error, reload: () => setTick((t) => t + 1) };
}
