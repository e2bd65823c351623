// The mark on a canvas node whose output is pinned in the draft (stored on the server, see ./pinSync).
import { useEditor } from './storeContext';
import './affordances.css';

export function PinnedBadge({ nodeId }: { nodeId: string }) {
  const items = useEditor((s) => s.pinned[nodeId]);
  if (!items) return null;
  return (
    <div
      className="fnode-pin"
      data-testid={`node-pinned-${nodeId}`}
      title={`Pinned: ${items.length} item${items.length === 1 ? '' : 's'} stand in for this node's output in previews, mapping and "Run this node". Published runs never use them.`}
    >
      pinned
    </div>
  );
}
