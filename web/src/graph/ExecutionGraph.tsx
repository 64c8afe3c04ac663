import {
  Background,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useEffect, useMemo, useState } from "react";
import type { AslDefinition, StateRun, StateStatus } from "../api";
import { END, type Graph, layout } from "./layout";

type StateData = { name: string; type: string; run?: StateRun | undefined; selected: boolean };
type MarkerData = { label: string };
type StateNodeType = Node<StateData, "state">;
type MarkerNodeType = Node<MarkerData, "marker">;

export const STATUS_LABEL: Record<StateStatus, string> = {
  succeeded: "Succeeded",
  failed: "Failed",
  running: "Running",
  caught: "Caught",
  notReached: "Not reached",
};

function StateNode({ data }: NodeProps<StateNodeType>) {
  const status: StateStatus = data.run?.status ?? "notReached";
  const iterations = data.run?.iterations;
  return (
    <div
      className={`state-node status-${status}${data.selected ? " selected" : ""}`}
      data-testid={`state-${data.name}`}
      data-status={status}
      title={`${data.name} (${data.type}): ${STATUS_LABEL[status]}`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="state-name">{data.name}</div>
      <div className="state-meta">
        <span className="state-type">{data.type}</span>
        {iterations ? (
          <span className="state-iterations" data-testid={`iterations-${data.name}`}>
            {iterations.succeeded}/{iterations.total} iterations
            {iterations.failed ? `, ${iterations.failed} failed` : ""}
            {iterations.running ? `, ${iterations.running} running` : ""}
          </span>
        ) : (
          <span className="state-status">{STATUS_LABEL[status]}</span>
        )}
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

function MarkerNode({ data }: NodeProps<MarkerNodeType>) {
  return (
    <div className="marker-node">
      <Handle type="target" position={Position.Top} isConnectable={false} />
      {data.label}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

const nodeTypes = { state: StateNode, marker: MarkerNode };

export interface ExecutionGraphProps {
  definition: AslDefinition;
  states: Record<string, StateRun>;
  selected?: string | undefined;
  onSelect?: (name: string | undefined) => void;
}

/** The execution as a graph of the definition's top-level states, each coloured by its status. */
export function ExecutionGraph({ definition, states, selected, onSelect }: ExecutionGraphProps) {
  const [graph, setGraph] = useState<Graph>();
  const [failure, setFailure] = useState<string>();
  const shape = JSON.stringify(definition);

  // biome-ignore lint/correctness/useExhaustiveDependencies: laid out again only when the definition changes
  useEffect(() => {
    let current = true;
    layout(definition).then(
      (placed) => current && setGraph(placed),
      (error: Error) => current && setFailure(error.message),
    );
    return () => {
      current = false;
    };
  }, [shape]);

  const nodes = useMemo<(StateNodeType | MarkerNodeType)[]>(
    () =>
      (graph?.nodes ?? []).map((node) =>
        node.type === "Start" || node.type === "End"
          ? {
              id: node.id,
              type: "marker",
              position: { x: node.x, y: node.y },
              data: { label: node.id === END ? "End" : "Start" },
              selectable: false,
              width: node.width,
              height: node.height,
            }
          : {
              id: node.id,
              type: "state",
              position: { x: node.x, y: node.y },
              data: { name: node.id, type: node.type, run: states[node.id], selected: node.id === selected },
              width: node.width,
              height: node.height,
            },
      ),
    [graph, states, selected],
  );

  const edges = useMemo<Edge[]>(
    () =>
      (graph?.edges ?? []).map((edge) => {
        const reached = states[edge.source]?.status && states[edge.target]?.status;
        return {
          id: edge.id,
          source: edge.source,
          target: edge.target,
          type: "smoothstep",
          className: `edge-${edge.kind}${reached ? " edge-taken" : ""}`,
          markerEnd: { type: MarkerType.ArrowClosed },
          ...(edge.kind === "catch"
            ? { label: `Catch: ${edge.label ?? ""}`, style: { strokeDasharray: "6 4" } }
            : {}),
          ...(edge.kind === "default" ? { label: "Default" } : {}),
        };
      }),
    [graph, states],
  );

  if (failure) return <p className="error">The graph could not be laid out: {failure}</p>;
  if (!graph) return <div className="graph graph-loading">Laying out the graph…</div>;
  return (
    <div className="graph" data-testid="execution-graph" style={{ height: Math.min(640, graph.height + 80) }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_, node) => {
          if (node.type === "state") onSelect?.(node.id === selected ? undefined : node.id);
        }}
        onPaneClick={() => onSelect?.(undefined)}
      >
        <Background gap={16} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

/** The colour legend under the graph. */
export function StatusLegend() {
  return (
    <ul className="legend">
      {(Object.keys(STATUS_LABEL) as StateStatus[]).map((status) => (
        <li key={status}>
          <span className={`swatch status-${status}`} />
          {STATUS_LABEL[status]}
        </li>
      ))}
    </ul>
  );
}
