import { describe, expect, it } from 'vitest';
import { fieldMode } from './widgets';

// Issue 10, defect 9: template fields preview literally; only a type's expression fields are bare JSONata.
describe('fieldMode', () => {
  it('template for URL, body, mapped values; expression for declared conditions', () => {
    expect(fieldMode('url', [])).toBe('template');
    expect(fieldMode('currency', undefined)).toBe('template');
    expect(fieldMode('condition', ['condition'])).toBe('expression');
    expect(fieldMode('condition', ['rules[].condition'])).toBe('expression');
    expect(fieldMode('key_expression', ['key_expression'])).toBe('expression');
  });
});
