// A dialog holding one form: its fields, an error line, Cancel and a submit button that shows a spinner
// while the submit runs. Enter in a field submits; Escape and Cancel close (src/ui/bits.tsx Dialog).
import { useId, type ReactNode } from 'react';
import { Dialog, Spinner } from './bits';

export function FormDialog({
  title,
  onClose,
  onSubmit,
  submitLabel,
  busy,
  busyLabel = 'Saving',
  error,
  disabled,
  danger,
  testid,
  submitTestid,
  wide,
  children,
}: {
  title: string;
  onClose: () => void;
  onSubmit: () => void | Promise<void>;
  submitLabel: ReactNode;
  busy: boolean;
  busyLabel?: string;
  /** Shown under the fields (role=alert). */
  error?: string | null;
  disabled?: boolean;
  /** A destructive submit (red button). */
  danger?: boolean;
  testid?: string;
  submitTestid?: string;
  wide?: boolean;
  children?: ReactNode;
}) {
  const formId = useId();
  return (
    <Dialog
      title={title}
      onClose={onClose}
      testid={testid}
      wide={wide}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className={danger ? 'danger' : 'primary'} disabled={busy || disabled} data-testid={submitTestid}>
            {busy ? <Spinner label={busyLabel} /> : submitLabel}
          </button>
        </>
      }
    >
      <form
        id={formId}
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy && !disabled) void onSubmit();
        }}
      >
        {children}
        {error && (
          <div className="callout callout-error" role="alert">
            {error}
          </div>
        )}
      </form>
    </Dialog>
  );
}
