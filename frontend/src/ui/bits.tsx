import { useEffect, useRef, type ReactNode } from 'react';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}

export function Skeleton({ rows = 4, testid }: { rows?: number; testid?: string }) {
  return (
    <div className="skeleton" data-testid={testid ?? 'skeleton'} aria-busy="true">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-row" />
      ))}
    </div>
  );
}

export function EmptyState({ title, body, action, testid }: { title: string; body?: string; action?: ReactNode; testid?: string }) {
  return (
    <div className="empty" data-testid={testid ?? 'empty-state'}>
      <div className="empty-art" aria-hidden>◇</div>
      <h3>{title}</h3>
      {body && <p>{body}</p>}
      {action}
    </div>
  );
}

export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="badge badge-none">never run</span>;
  return (
    <span className={`badge badge-${status}`} data-testid="status-badge" data-status={status}>
      {status}
    </span>
  );
}

/** A modal dialog: focus trap light (focus first field), Escape closes, backdrop click closes. */
export function Dialog({
  title,
  onClose,
  children,
  footer,
  testid,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  testid?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current?.querySelector<HTMLElement>('input, textarea, select, .cm-content, button.primary');
    el?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`dialog${wide ? ' dialog-wide' : ''}`} role="dialog" aria-modal="true" aria-label={title} data-testid={testid} ref={ref}>
        <header className="dialog-head">
          <h2>{title}</h2>
          <button className="icon-btn" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="dialog-body">{children}</div>
        {footer && <footer className="dialog-foot">{footer}</footer>}
      </div>
    </div>
  );
}

/** The segmented tabs of a list page (Approvals, Reviews, Matches): one view of the list at a time. */
export function ViewTabs<K extends string>({
  views,
  view,
  onChange,
  testid,
}: {
  views: readonly { key: K; label: string }[];
  view: K;
  onChange: (key: K) => void;
  testid: string;
}) {
  return (
    <div className="seg" role="tablist">
      {views.map((v) => (
        <button key={v.key} role="tab" aria-selected={view === v.key} className={view === v.key ? 'on' : undefined} onClick={() => onChange(v.key)} data-testid={`${testid}-${v.key}`}>
          {v.label}
        </button>
      ))}
    </div>
  );
}
