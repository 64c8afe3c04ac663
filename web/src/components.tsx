import type { ReactNode } from "react";
import type { ContainerState } from "./api";

export function StateBadge({ state }: { state: ContainerState }) {
  return (
    <span className={`badge badge-${state}`} data-testid="container-state">
      {state}
    </span>
  );
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error.message}
    </p>
  );
}

export function Card(props: { title: string; children: ReactNode; testId?: string; className?: string }) {
  return (
    <section className={`card ${props.className ?? ""}`} data-testid={props.testId}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** A checkbox narrowing what a panel shows ("Failures only"). */
export function Toggle(props: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
  testId: string;
}) {
  return (
    <label className="checkbox">
      <input
        type="checkbox"
        data-testid={props.testId}
        checked={props.checked}
        onChange={(event) => props.onChange(event.target.checked)}
      />{" "}
      {props.label}
    </label>
  );
}
