import { describe, expect, it } from 'vitest';
import { duration, flattenPaths } from './format';

describe('flattenPaths', () => {
  it('lists leaf paths, quoting odd keys', () => {
    const paths = flattenPaths({ Name: 'Acme', owner: { email: 'a@b' }, 'Close Date': '2026', lines: [{ qty: 1 }] }).map((p) => p.path);
    expect(paths).toEqual(['Name', 'owner.email', '`Close Date`', 'lines', 'lines[0].qty']);
  });
});

describe('duration', () => {
  it('formats', () => {
    expect(duration(12)).toBe('12 ms');
    expect(duration(1500)).toBe('1.5 s');
    expect(duration(null)).toBe('—');
  });
});
