import { describe, expect, it } from 'vitest';
import { cspSafeValidator } from './rjsfValidator';

const schema = {
  type: 'object',
  required: ['url'],
  properties: { url: { type: 'string', minLength: 3 }, method: { type: 'string', enum: ['GET', 'POST'] }, headers: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
} as const;

describe('cspSafeValidator', () => {
  it('reports required and nested errors with rjsf property paths', () => {
    const r = cspSafeValidator.validateFormData({ method: 'PUT', headers: [{}] }, schema as never);
    const props = r.errors.map((e) => e.property).sort();
    expect(props).toEqual(['.headers.0.name', '.method', '.url']);
    expect((r.errorSchema as any).url.__errors[0]).toMatch(/required/);
  });
  it('accepts valid data', () => {
    expect(cspSafeValidator.validateFormData({ url: 'https://x' }, schema as never).errors).toEqual([]);
    expect(cspSafeValidator.isValid(schema as never, { url: 'abc' }, schema as never)).toBe(true);
  });
  it('leaves string shape checks of {{ }} templates to run time, and still checks literals', () => {
    const ids = { type: 'object', properties: { id: { type: ['string', 'integer'], pattern: '^[0-9]+$' }, method: { type: 'string', enum: ['GET', 'POST'] } } } as const;
    expect(cspSafeValidator.validateFormData({ id: '{{ $item.story_id }}' }, ids as never).errors).toEqual([]);
    expect(cspSafeValidator.validateFormData({ id: 'abc' }, ids as never).errors.map((e) => e.property)).toEqual(['.id']);
    // Only shape checks are skipped: a template is still not one of an enum's values.
    expect(cspSafeValidator.validateFormData({ method: '{{ $item.m }}' }, ids as never).errors.map((e) => e.property)).toEqual(['.method']);
  });
});
