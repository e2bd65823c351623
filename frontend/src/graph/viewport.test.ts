import { describe, expect, it } from 'vitest';
import { READABLE_ZOOM, readableViewport, type Box } from './viewport';

// Issue 10, defect 6: large flows open readable, on the trigger (editor) or the failed node (run detail).
const node = (x: number, y: number): Box => ({ x, y, width: 220, height: 72 });
const screen = { width: 1000, height: 700 };

describe('readableViewport', () => {
  it('fits a small flow, never zooming in past the cap', () => {
    const v = readableViewport([node(0, 0), node(300, 0)], screen);
    expect(v.zoom).toBe(1);
    // centred: the middle of the flow (260, 36) is the middle of the screen
    expect(v.x + 260 * v.zoom).toBeCloseTo(500);
  });

  it('a long flow opens at the readable floor with the trigger at the left', () => {
    const boxes = Array.from({ length: 27 }, (_, i) => node(i * 300, (i % 3) * 150));
    const v = readableViewport(boxes, screen, { focus: boxes[0] });
    expect(v.zoom).toBe(READABLE_ZOOM);
    const left = boxes[0].x * v.zoom + v.x;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(150);
    const top = boxes[0].y * v.zoom + v.y;
    expect(top).toBeGreaterThan(0);
    expect(top + 72 * v.zoom).toBeLessThan(screen.height);
  });

  it('centres the failed node in run detail', () => {
    const boxes = Array.from({ length: 27 }, (_, i) => node(i * 300, 0));
    const v = readableViewport(boxes, screen, { focus: boxes[20], align: 'centre' });
    expect(v.zoom).toBe(READABLE_ZOOM);
    expect((boxes[20].x + 110) * v.zoom + v.x).toBeCloseTo(500);
  });
});
