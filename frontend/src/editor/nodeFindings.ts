import type { Finding } from '../api/types';

/**
 * One node's findings for the inspector: errors (publish and test runs refuse them) apart from warnings
 * (the draft saves and runs; e.g. a shared template parameter that another copy of the customer sets
 * otherwise, which only the publish refuses). Anything not a warning is an error, as on the canvas.
 */
export function nodeFindings(findings: Finding[], nodeId: string): { errors: Finding[]; warnings: Finding[] } {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  for (const f of findings) {
    if (f.node_id !== nodeId) continue;
    (f.severity === 'warning' ? warnings : errors).push(f);
  }
  return { errors, warnings };
}
