import { describe, expect, it } from 'vitest';
import { asCandidates, comparison, fieldText, scoreText, systemLabel } from './model';

describe('match review model', () => {
  it('reads candidates defensively and keeps their order', () => {
    const got = asCandidates([
      { id: 812, record: { name: 'Acme Inc' }, verdict: 'near', score: 0.5, reasons: ['same name'], fields: { name: 'same' } },
      { record: {} },
    ]);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ id: '812', verdict: 'near', score: 0.5, reasons: ['same name'], linked_to: null });
    expect(comparison(got[0], 'name')).toBe('same');
    expect(comparison(got[0], 'website')).toBe('missing');
  });
  it('shows addresses on one line and empty values as a dash', () => {
    const address = { street: '1 Main St', city: 'San Francisco', postal_code: '94105', country: 'US' };
    expect(fieldText({ address }, 'address')).toBe('1 Main St, San Francisco, 94105, US');
    expect(fieldText({ address: 'Acme Inc\n1 Main St' }, 'address')).toBe('Acme Inc, 1 Main St');
    expect(fieldText({ website: null }, 'website')).toBe('—');
    expect(fieldText({}, 'phone')).toBe('—');
  });
  it('names systems and scores for people', () => {
    expect(systemLabel('dynamics')).toBe('Business Central');
    expect(systemLabel('kantata')).toBe('kantata');
    expect(scoreText(0.954)).toBe('95%');
  });
});
