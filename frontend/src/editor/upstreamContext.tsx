// The upstream nodes' sample outputs of the node being edited, for the expression editor's completions
// ($node.<id>.items[0].…). Provided around the inspector, read by every CodeEditor inside it.
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useEditor, useStore } from './storeContext';
import { upstreamSamples, type UpstreamSample } from './expressionCompletions';

const UpstreamContext = createContext<UpstreamSample[]>([]);

export function useUpstreamSamples(): UpstreamSample[] {
  return useContext(UpstreamContext);
}

export function UpstreamSamplesProvider({ nodeId, children }: { nodeId: string; children: ReactNode }) {
  const store = useStore();
  // Slices, not the whole state: a node drag must not recompute this.
  const edges = useEditor((s) => s.document.edges);
  const pinned = useEditor((s) => s.pinned);
  const run = useEditor((s) => s.run);
  const value = useMemo(
    () => upstreamSamples({ document: { edges, nodes: store.getState().document.nodes }, pinned, run }, nodeId),
    [store, edges, pinned, run, nodeId],
  );
  return <UpstreamContext.Provider value={value}>{children}</UpstreamContext.Provider>;
}
