import type { ELK as Elk, ElkNode } from "elkjs/lib/elk.bundled.js";
import type { AslDefinition } from "../api";

/** The graph of an ASL definition's top-level states, laid out top-down by elkjs. */

export const START = "__start";
export const END = "__end";

export type EdgeKind = "next" | "choice" | "default" | "catch";

export interface GraphNode {
  id: string;
  /** The state's Type, or "Start"/"End" for the two markers. */
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
  /** The errors a Catch edge takes, as a label. */
  label?: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export const STATE_WIDTH = 220;
export const STATE_HEIGHT = 64;
const MARKER_SIZE = 36;

/** Nodes and edges of the definition, not yet placed. */
export function graphOf(definition: AslDefinition): {
  nodes: Omit<GraphNode, "x" | "y">[];
  edges: GraphEdge[];
} {
  const nodes: Omit<GraphNode, "x" | "y">[] = [
    { id: START, type: "Start", width: MARKER_SIZE, height: MARKER_SIZE },
  ];
  const edges: GraphEdge[] = [];
  const names = new Set(Object.keys(definition.States));
  const add = (source: string, target: string | undefined, kind: EdgeKind, label?: string) => {
    if (!target || !names.has(target)) return;
    const id = `${source}->${target}:${kind}`;
    if (edges.some((edge) => edge.id === id)) return;
    edges.push({ id, source, target, kind, ...(label ? { label } : {}) });
  };
  let ends = false;
  add(START, definition.StartAt, "next");
  for (const [name, state] of Object.entries(definition.States)) {
    nodes.push({ id: name, type: state.Type, width: STATE_WIDTH, height: STATE_HEIGHT });
    add(name, state.Next, "next");
    for (const choice of state.Choices ?? []) add(name, choice.Next, "choice");
    add(name, state.Default, "default");
    for (const katch of state.Catch ?? []) add(name, katch.Next, "catch", katch.ErrorEquals.join(", "));
    if (state.End || state.Type === "Succeed" || state.Type === "Fail") {
      ends = true;
      edges.push({ id: `${name}->${END}`, source: name, target: END, kind: "next" });
    }
  }
  if (ends) nodes.push({ id: END, type: "End", width: MARKER_SIZE, height: MARKER_SIZE });
  return { nodes, edges };
}

let elk: Promise<Elk> | undefined;

/** elkjs is large (1.5 MB): loaded, in a chunk of its own, when a graph is first drawn. */
const elkInstance = (): Promise<Elk> => {
  elk ??= import("elkjs/lib/elk.bundled.js").then(({ default: ELK }) => new ELK());
  return elk;
};

/** Places the definition's graph: layered, top to bottom. */
export async function layout(definition: AslDefinition): Promise<Graph> {
  const { nodes, edges } = graphOf(definition);
  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.layered.spacing.nodeNodeBetweenLayers": "48",
      "elk.spacing.nodeNode": "40",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.layered.crossingMinimization.semiInteractive": "true",
    },
    children: nodes.map((node) => ({ id: node.id, width: node.width, height: node.height })),
    edges: edges.map((edge) => ({ id: edge.id, sources: [edge.source], targets: [edge.target] })),
  };
  const placed = await (await elkInstance()).layout(root);
  const positions = new Map((placed.children ?? []).map((child) => [child.id, child]));
  return {
    nodes: nodes.map((node) => {
      const at = positions.get(node.id);
      return { ...node, x: at?.x ?? 0, y: at?.y ?? 0 };
    }),
    edges,
    width: placed.width ?? 0,
    height: placed.height ?? 0,
  };
}
