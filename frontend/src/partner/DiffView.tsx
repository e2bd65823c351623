// A graph diff (flowbuilder/flows/graph_diff.py) as lists: nodes added / removed / changed, each change
// a config field old -> new, then the connections. Values are shown as JSON text, never as markup.
import type { GraphDiff } from '../api/types';
import { diffModel } from './model';

const SIGN = { added: '+', removed: '−', changed: '~' } as const;

export function DiffView({ diff, testid }: { diff: GraphDiff | null | undefined; testid?: string }) {
  const m = diffModel(diff);
  if (m.empty) return <p className="muted small" data-testid={testid}>No differences.</p>;
  return (
    <div className="diff" data-testid={testid}>
      <p className="small strong">{m.summary}</p>
      <ul className="diff-nodes">
        {m.nodes.map((n) => (
          <li key={`${n.kind}-${n.id}`} className={`diff-node diff-${n.kind}`} data-testid={`diff-node-${n.id}`} data-kind={n.kind}>
            <span className="diff-sign" aria-label={n.kind}>
              {SIGN[n.kind]}
            </span>{' '}
            <span className="strong">{n.label}</span> <span className="muted small">{n.type}</span>
            {n.fields.length > 0 && (
              <table className="diff-fields">
                <tbody>
                  {n.fields.map((f) => (
                    <tr key={f.field}>
                      <th scope="row">
                        <code>{f.field}</code>
                      </th>
                      <td className="diff-old">{f.old}</td>
                      <td aria-hidden>→</td>
                      <td className="diff-new">{f.new}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        ))}
        {m.edges.map((e, i) => (
          <li key={`e${i}`} className={`diff-node diff-${e.kind}`}>
            <span className="diff-sign" aria-label={e.kind}>
              {SIGN[e.kind]}
            </span>{' '}
            connection <code>{e.text}</code>
          </li>
        ))}
        {m.document.map((f) => (
          <li key={`d-${f.field}`} className="diff-node diff-changed">
            <span className="diff-sign">~</span> <code>{f.field}</code> <span className="diff-old">{f.old}</span> → <span className="diff-new">{f.new}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
