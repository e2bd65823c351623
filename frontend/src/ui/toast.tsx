import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

export type ToastKind = 'error' | 'info' | 'success' | 'warning';
export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  hint?: string;
}

interface ToastApi {
  show: (kind: ToastKind, title: string, hint?: string) => void;
  error: (title: string, hint?: string) => void;
  info: (title: string, hint?: string) => void;
  success: (title: string, hint?: string) => void;
}

const Ctx = createContext<ToastApi | null>(null);

export function useToast(): ToastApi {
  const c = useContext(Ctx);
  if (!c) throw new Error('useToast outside ToastProvider');
  return c;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const show = useCallback(
    (kind: ToastKind, title: string, hint?: string) => {
      const id = next.current++;
      setToasts((t) => [...t.filter((x) => !(x.title === title && x.hint === hint)).slice(-4), { id, kind, title, hint }]);
      window.setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 4000);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({
      show,
      error: (t, h) => show('error', t, h),
      info: (t, h) => show('info', t, h),
      success: (t, h) => show('success', t, h),
    }),
    [show],
  );
  return (
    <Ctx.Provider value={api}>
      {children}
      <div className="toasts" aria-live="polite" data-testid="toasts">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid="toast" data-kind={t.kind}>
            <div className="toast-body">
              <strong>{t.title}</strong>
              {t.hint && <span className="toast-hint">{t.hint}</span>}
            </div>
            <button className="icon-btn" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}
