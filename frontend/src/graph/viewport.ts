/**
 * The viewport a flow opens at: readable first, whole second.
 *
 * Fitting a 27-node lifecycle flow into 1280x800 gave a hairline at minimum zoom. A flow opens fitted
 * when the fit is readable (zoom >= `minZoom`); otherwise at `minZoom`, with the focus node in view: the
 * trigger near the left edge (the flow reads from there), or a run's failed node in the middle.
 */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export const READABLE_ZOOM = 0.5;
export const MAX_OPEN_ZOOM = 1;

export function bounds(boxes: Box[]): Box | null {
  if (!boxes.length) return null;
  const left = Math.min(...boxes.map((b) => b.x));
  const top = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x: left, y: top, width: right - left, height: bottom - top };
}

export function readableViewport(
  boxes: Box[],
  screen: { width: number; height: number },
  opts: { focus?: Box | null; align?: 'start' | 'centre'; minZoom?: number; maxZoom?: number; padding?: number } = {},
): Viewport {
  const minZoom = opts.minZoom ?? READABLE_ZOOM;
  const maxZoom = opts.maxZoom ?? MAX_OPEN_ZOOM;
  const padding = opts.padding ?? 0.1;
  const all = bounds(boxes);
  if (!all || screen.width <= 0 || screen.height <= 0) return { x: 0, y: 0, zoom: 1 };
  const fit = Math.min(
    screen.width / (all.width * (1 + 2 * padding) || 1),
    screen.height / (all.height * (1 + 2 * padding) || 1),
  );
  const centreOn = (cx: number, cy: number, zoom: number): Viewport => ({
    x: screen.width / 2 - cx * zoom,
    y: screen.height / 2 - cy * zoom,
    zoom,
  });
  if (fit >= minZoom) {
    const zoom = Math.min(fit, maxZoom);
    return centreOn(all.x + all.width / 2, all.y + all.height / 2, zoom);
  }
  const zoom = minZoom;
  const focus = opts.focus ?? all;
  const cy = focus.y + focus.height / 2;
  if ((opts.align ?? 'start') === 'centre') return centreOn(focus.x + focus.width / 2, cy, zoom);
  // The focus node at the left, a margin from the edge, vertically centred: the flow reads rightwards.
  const margin = Math.min(80, screen.width * 0.08);
  return { x: margin - focus.x * zoom, y: screen.height / 2 - cy * zoom, zoom };
}
