import { useState } from "react";

export interface RowAction<R> {
  busy: boolean;
  /** What the last run answered, or why it failed; undefined before and during a run. */
  result: R | Error | undefined;
  /** Runs `act` (busy meanwhile), keeps its answer or error, then calls the row's `onSettled`. */
  run: (act: () => Promise<R>) => Promise<void>;
}

/** A row's button that calls the server (Redrive, Poll now), its answer shown next to it. */
export function useRowAction<R>(onSettled: () => void): RowAction<R> {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<R | Error>();
  const run = async (act: () => Promise<R>) => {
    setBusy(true);
    setResult(undefined);
    try {
      setResult(await act());
    } catch (caught) {
      setResult(caught as Error);
    } finally {
      setBusy(false);
      onSettled();
    }
  };
  return { busy, result, run };
}

/** A Redrive button's answer: what started, or (red) the server's refusal. */
export function RedriveResult({ result }: { result: string | Error | undefined }) {
  if (result === undefined) return null;
  return (
    <span className={result instanceof Error ? "error-text small" : "ok small"} data-testid="redrive-result">
      {result instanceof Error ? result.message : result}
    </span>
  );
}

/** The Redrive button of a row: "Redriving…" while `busy`. */
export function RedriveButton(props: {
  busy: boolean;
  disabled?: boolean;
  onClick: () => void;
  testId: string;
  title: string;
}) {
  return (
    <button
      type="button"
      onClick={props.onClick}
      disabled={props.busy || props.disabled}
      data-testid={props.testId}
      title={props.title}
    >
      {props.busy ? "Redriving…" : "Redrive"}
    </button>
  );
}
