// Geometry for "the inspector never hides the selected node": pure functions over screen rectangles
// (getBoundingClientRect's coordinates), so the rules are tested without a browser. The hook that
// measures the DOM and pans React Flow's viewport is ./useRevealNode.ts.

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A pan in screen pixels: add to the viewport's x/y (the node moves by the same amount on screen). */
export interface Pan {
  dx: number;
  dy: number;
}

/** Space kept between a revealed node and the edge of the visible area. */
export const REVEAL_MARGIN = 24;

const overlaps = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/**
 * The part of the canvas a side panel leaves visible. A panel beside the canvas (a grid column) leaves
 * all of it; a panel over its right (or left) part leaves the wider strip beside the panel.
 */
export function visibleArea(canvas: Rect, panel: Rect | null): Rect {
  if (!panel || !overlaps(canvas, panel)) return canvas;
  const leftStrip = Math.max(0, Math.min(panel.left, canvas.right) - canvas.left);
  const rightStrip = Math.max(0, canvas.right - Math.max(panel.right, canvas.left));
  return leftStrip >= rightStrip
    ? { ...canvas, right: canvas.left + leftStrip }
    : { ...canvas, left: canvas.right - rightStrip };
}

export function isInside(target: Rect, area: Rect): boolean {
  return target.left >= area.left && target.right <= area.right && target.top >= area.top && target.bottom <= area.bottom;
}

/** Along one axis: 0 when [lo, hi] is inside [min, max], else the shift that brings it `margin` inside. */
function shift(lo: number, hi: number, min: number, max: number, margin: number): number {
  if (lo >= min && hi <= max) return 0;
  const m = Math.max(0, Math.min(margin, (max - min - (hi - lo)) / 2));
  // Larger than the area: show its start (the node's title and input side).
  if (hi - lo > max - min || lo < min) return min + m - lo;
  return max - m - hi;
}

/**
 * How far to pan so that `target` (the node on screen) is wholly inside `area` (the canvas minus the
 * panel), `margin` from the edge it was over; null when it is already wholly visible (no pan at all).
 */
export function panToReveal(target: Rect, area: Rect, margin = REVEAL_MARGIN): Pan | null {
  if (isInside(target, area)) return null;
  const dx = Math.round(shift(target.left, target.right, area.left, area.right, margin));
  const dy = Math.round(shift(target.top, target.bottom, area.top, area.bottom, margin));
  return dx || dy ? { dx, dy } : null;
}
