import { useEffect, useRef, type RefObject } from 'react';
import { useReactFlow, type ReactFlowInstance } from '@xyflow/react';
import { panToReveal, visibleArea, type Rect } from './reveal';

const PAN_MS = 250;
/** Frames to wait for a just-added node to be measured before giving up. */
const MEASURE_FRAMES = 10;

const toRect = (r: DOMRect): Rect => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom });

/** What a drag or a pan changes: compared at pointer release to tell a click from a drag. */
function snapshot(rf: Pick<ReactFlowInstance, 'getInternalNode' | 'getViewport'>, id: string): string {
  const v = rf.getViewport();
  return JSON.stringify([rf.getInternalNode(id)?.internals.positionAbsolute, v.x, v.y, v.zoom]);
}

/**
 * Keeps the node the inspector shows on screen: when `nodeId` becomes the inspected node, or the canvas
 * gets narrower while it is (the mapping tab widens the inspector, the versions drawer opens), pans the
 * viewport just enough that the node is wholly visible beside the panel. Never pans while a pointer is
 * down on the canvas: a selection made by starting a drag is revealed on release only if neither the
 * node nor the viewport moved meanwhile. `root` contains the `.canvas` and the `.inspector`.
 */
export function useRevealNode(nodeId: string | null, root: RefObject<HTMLElement | null>): void {
  const rf = useReactFlow();
  const current = useRef(nodeId);
  const reveal = useRef<(id: string) => void>(() => {});
  const pointerDown = useRef(false);
  const pending = useRef<{ id: string; key: string } | null>(null);

  useEffect(() => {
    let frame = 0;
    reveal.current = (id: string) => {
      cancelAnimationFrame(frame);
      let tries = 0;
      const attempt = () => {
        const el = root.current;
        const canvasEl = el?.querySelector<HTMLElement>('.canvas');
        if (!el || !canvasEl || current.current !== id || pointerDown.current) return;
        const node = rf.getInternalNode(id);
        const w = node?.measured.width;
        const h = node?.measured.height;
        if (!node || !w || !h) {
          if (node && ++tries < MEASURE_FRAMES) frame = requestAnimationFrame(attempt);
          return;
        }
        const canvas = canvasEl.getBoundingClientRect();
        const panel = el.querySelector<HTMLElement>('.inspector');
        const vp = rf.getViewport();
        const { x, y } = node.internals.positionAbsolute;
        const left = canvas.left + vp.x + x * vp.zoom;
        const top = canvas.top + vp.y + y * vp.zoom;
        const target = { left, top, right: left + w * vp.zoom, bottom: top + h * vp.zoom };
        const pan = panToReveal(target, visibleArea(toRect(canvas), panel ? toRect(panel.getBoundingClientRect()) : null));
        if (!pan) return;
        const still = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
        void rf.setViewport({ x: vp.x + pan.dx, y: vp.y + pan.dy, zoom: vp.zoom }, { duration: still ? 0 : PAN_MS });
      };
      // After the frame that lays out the inspector (its width decides the canvas's).
      frame = requestAnimationFrame(attempt);
    };
    return () => cancelAnimationFrame(frame);
  }, [rf, root]);

  // Pointer state on the canvas; a reveal asked for during a press waits for the release.
  useEffect(() => {
    const canvasEl = root.current?.querySelector<HTMLElement>('.canvas');
    if (!canvasEl) return;
    const down = () => {
      pointerDown.current = true;
    };
    const up = () => {
      if (!pointerDown.current) return;
      pointerDown.current = false;
      const p = pending.current;
      pending.current = null;
      if (p && p.id === current.current && p.key === snapshot(rf, p.id)) reveal.current(p.id);
    };
    let width = canvasEl.getBoundingClientRect().width;
    const resized = new ResizeObserver(() => {
      const next = canvasEl.getBoundingClientRect().width;
      const narrower = next < width - 1;
      width = next;
      if (narrower && current.current && !pointerDown.current) reveal.current(current.current);
    });
    canvasEl.addEventListener('pointerdown', down, true);
    window.addEventListener('pointerup', up, true);
    window.addEventListener('pointercancel', up, true);
    resized.observe(canvasEl);
    return () => {
      canvasEl.removeEventListener('pointerdown', down, true);
      window.removeEventListener('pointerup', up, true);
      window.removeEventListener('pointercancel', up, true);
      resized.disconnect();
    };
  }, [rf, root]);

  useEffect(() => {
    current.current = nodeId;
    pending.current = null;
    if (!nodeId) return;
    if (pointerDown.current) pending.current = { id: nodeId, key: snapshot(rf, nodeId) };
    else reveal.current(nodeId);
  }, [nodeId, rf]);
}
