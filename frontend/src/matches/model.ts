// Pure helpers of the match review page: the rows compared side by side and how each one compares.
export type Comparison = 'same' | 'similar' | 'different' | 'missing';

export interface Candidate {
  id: string;
  record: Record<string, unknown>;
  verdict: 'exact' | 'near' | 'none';
  score: number;
  reasons: string[];
  fields: Partial<Record<string, Comparison>>;
  linked_to?: string | null;
}

/** The fields compared, in the order the matcher scores them, with their labels. */
export const FIELDS: { key: string; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'website', label: 'Website' },
  { key: 'tax_id', label: 'Tax id' },
  { key: 'phone', label: 'Phone' },
  { key: 'email', label: 'E-mail' },
  { key: 'address', label: 'Billing address' },
];

export function asCandidates(raw: Record<string, unknown>[]): Candidate[] {
  return raw
    .filter((c) => c && typeof c === 'object' && c.id != null)
    .map((c) => ({
      id: String(c.id),
      record: (c.record as Record<string, unknown>) ?? {},
      verdict: (c.verdict as Candidate['verdict']) ?? 'near',
      score: typeof c.score === 'number' ? c.score : 0,
      reasons: Array.isArray(c.reasons) ? c.reasons.map(String) : [],
      fields: (c.fields as Candidate['fields']) ?? {},
      linked_to: (c.linked_to as string | null | undefined) ?? null,
    }));
}

/** A field's value as one line of text: addresses are joined, empty values are an em dash. */
export function fieldText(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  if (value == null || value === '') return '—';
  if (typeof value === 'object') {
    const a = value as Record<string, unknown>;
    const parts = ['street', 'city', 'state', 'postal_code', 'country'].map((k) => a[k]).filter((v) => v != null && v !== '');
    return parts.length ? parts.map(String).join(', ') : '—';
  }
  return String(value).replace(/\s*\n\s*/g, ', ');
}

/** The comparison of one field of a candidate (missing when the matcher did not say). */
export function comparison(c: Candidate, key: string): Comparison {
  return c.fields[key] ?? 'missing';
}

export function scoreText(score: number): string {
  return `${Math.round(score * 100)}%`;
}

const SYSTEMS: Record<string, string> = { salesforce: 'Salesforce', netsuite: 'NetSuite', dynamics: 'Business Central' };

export function systemLabel(system: string): string {
  return SYSTEMS[system] ?? system;
}
