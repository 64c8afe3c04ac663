import { useCallback, useEffect, useRef, useState } from "react";

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  /** Loads again now (after an action), without waiting for the next tick. */
  refresh: () => void;
}

/**
 * Calls `load` now and every `intervalMillis` while the page is visible, keeping the last data
 * when a call fails. `deps` restart it (a new filter); a call still out when the next is due is aborted.
 */
export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  intervalMillis = 3_000,
): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's, tick forces a reload
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let aborter: AbortController | undefined;
    const run = async () => {
      aborter?.abort();
      aborter = new AbortController();
      try {
        const value = await loadRef.current(aborter.signal);
        if (stopped) return;
        setData(value);
        setError(undefined);
      } catch (caught) {
        if (stopped || (caught as Error).name === "AbortError") return;
        setError(caught as Error);
      }
      if (!stopped) timer = setTimeout(run, document.hidden ? intervalMillis * 4 : intervalMillis);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      aborter?.abort();
    };
  }, [...deps, tick, intervalMillis]);

  const refresh = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, refresh };
}
