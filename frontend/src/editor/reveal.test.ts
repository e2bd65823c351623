import { describe, expect, it } from 'vitest';
import { isInside, panToReveal, visibleArea, type Rect } from './reveal';

const rect = (left: number, top: number, width: number, height: number): Rect => ({ left, top, right: left + width, bottom: top + height });

// The editor at 1280 x 800: palette 220 px, canvas 700 px, inspector 360 px beside it.
const canvas = rect(220, 60, 700, 740);
const inspectorBeside = rect(920, 60, 360, 740);

describe('visibleArea', () => {
  it('is the whole canvas when the panel sits beside it or there is none', () => {
    expect(visibleArea(canvas, inspectorBeside)).toEqual(canvas);
    expect(visibleArea(canvas, null)).toEqual(canvas);
  });

  it('is the canvas left of a panel laid over its right part', () => {
    expect(visibleArea(canvas, rect(560, 60, 360, 740))).toEqual(rect(220, 60, 340, 740));
  });

  it('is the canvas right of a panel laid over its left part', () => {
    expect(visibleArea(canvas, rect(220, 60, 200, 740))).toEqual(rect(420, 60, 500, 740));
  });
});

describe('panToReveal', () => {
  const area = visibleArea(canvas, rect(560, 60, 360, 740)); // 220..560

  it('does not pan when the node is already wholly visible', () => {
    expect(panToReveal(rect(300, 200, 220, 60), area)).toBeNull();
    expect(panToReveal(rect(220, 60, 340, 60), area)).toBeNull(); // touching the edges is visible
    expect(isInside(rect(300, 200, 220, 60), area)).toBe(true);
  });

  it('pans left just enough to bring a node out from under the panel, with a margin', () => {
    // Right edge at 700: 140 px under the panel, plus 24 px margin.
    expect(panToReveal(rect(480, 200, 220, 60), area)).toEqual({ dx: -164, dy: 0 });
    expect(panToReveal(rect(480, 200, 220, 60), area, 0)).toEqual({ dx: -140, dy: 0 });
  });

  it('pans a node wholly hidden by the panel or beyond the canvas into view', () => {
    expect(panToReveal(rect(700, 200, 200, 60), area)).toEqual({ dx: -364, dy: 0 });
    expect(panToReveal(rect(1400, 200, 200, 60), canvas)).toEqual({ dx: -704, dy: 0 });
  });

  it('pans right and down for nodes off the left or top edge, on both axes at once', () => {
    expect(panToReveal(rect(200, 30, 100, 60), area)).toEqual({ dx: 44, dy: 54 });
    expect(panToReveal(rect(300, 780, 100, 60), area)).toEqual({ dx: 0, dy: -64 });
  });

  it('shrinks the margin when the area is barely wider than the node', () => {
    // 340 px area, 320 px node: 10 px each side.
    expect(panToReveal(rect(400, 200, 320, 60), area)).toEqual({ dx: -170, dy: 0 });
  });

  it('shows the start of a node wider than the area', () => {
    expect(panToReveal(rect(500, 200, 400, 60), area)).toEqual({ dx: -280, dy: 0 });
    expect(panToReveal(rect(100, 200, 400, 60), area)).toEqual({ dx: 120, dy: 0 });
  });
});
