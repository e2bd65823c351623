import { describe, expect, it } from 'vitest';
import { environmentLabel, environmentOf, promotable, type FlowEnvironments } from './model';

const envs: FlowEnvironments = {
  enabled: true,
  releases: [
    { environment: 'dev', name: 'Sandbox', version: 5, number: 3, released_by: 'ben', released_at: null, webhook_url: 'https://x/hooks/t/dev/' },
    { environment: 'test', name: 'Test', version: null, number: null, released_by: null, released_at: null, webhook_url: null },
    { environment: 'prod', name: 'Production', version: null, number: null, released_by: null, released_at: null, webhook_url: null },
  ],
};

describe('environments model', () => {
  it('names the environment of a version', () => {
    expect(environmentOf(envs, 5)).toBe('Sandbox');
    expect(environmentOf(envs, 9)).toBe('Not released');
    expect(environmentOf(envs, 9, 'snapshot')).toBe('Draft (test run)');
    expect(environmentOf(null, 5)).toBeNull();
    // A version records its environment: a superseded test version still ran in Test.
    expect(environmentOf(envs, 2, 'superseded', 'test')).toBe('Test');
    expect(environmentOf(envs, 2, 'superseded', 'dev')).toBe('Sandbox');
  });
  it('offers only the next environments in order', () => {
    expect(promotable(envs)).toEqual(['dev', 'test']);
    expect(promotable({ ...envs, enabled: false })).toEqual([]);
  });
  it('labels environment keys with the organisation names', () => {
    expect(environmentLabel('dev', { dev: 'Sandbox' })).toBe('Sandbox');
    expect(environmentLabel('prod', {})).toBe('Production');
    expect(environmentLabel('', { dev: 'Sandbox' })).toBeNull();
  });
});
