// rjsf widget for a secret credential field (`writeOnly` in the credential type's schema): a password
// input that never shows a stored value. A stored secret shows "saved — leave blank to keep" and a
// Clear toggle; the dialog sends null for a cleared secret left blank (see model.buildUpdatePayload).
import type { WidgetProps } from '@rjsf/utils';

export interface SecretContext {
  /** Secret fields that hold a value on the server (for the credential type being edited). */
  stored: string[];
  /** Stored secrets the user asked to remove. */
  cleared: string[];
  toggleClear: (name: string) => void;
}

export function SecretWidget(props: WidgetProps) {
  const { id, name, value, onChange, onBlur, onFocus, disabled, readonly, required, autofocus, rawErrors } = props;
  const ctx = (props.registry.formContext ?? { stored: [], cleared: [], toggleClear: () => {} }) as SecretContext;
  const stored = ctx.stored.includes(name);
  const clearing = stored && ctx.cleared.includes(name);
  const typed = typeof value === 'string' && value !== '';
  const placeholder = clearing ? 'Will be removed when you save' : stored ? 'Saved — leave blank to keep' : '';
  const hintId = `${id}__secret`;
  return (
    <div className="conn-secret">
      {/* Not .row: styles.css turns .row into a block inside .rjsf. */}
      <div className="conn-secret-row">
        <input
          id={id}
          name={id}
          type="password"
          className="grow"
          autoComplete="new-password"
          spellCheck={false}
          value={typeof value === 'string' ? value : ''}
          placeholder={placeholder}
          required={required}
          disabled={disabled || readonly}
          autoFocus={autofocus}
          aria-invalid={rawErrors && rawErrors.length > 0 ? true : undefined}
          aria-describedby={stored ? hintId : undefined}
          data-testid={`secret-${name}`}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
          onBlur={(e) => onBlur(id, e.target.value)}
          onFocus={(e) => onFocus(id, e.target.value)}
        />
        {stored && (
          <button
            type="button"
            className="small"
            aria-pressed={clearing}
            data-testid={`secret-clear-${name}`}
            disabled={disabled || readonly}
            onClick={() => ctx.toggleClear(name)}
          >
            {clearing ? 'Keep' : 'Clear'}
          </button>
        )}
      </div>
      {stored && (
        <span id={hintId} className={`small ${clearing && !typed ? 'error-text' : 'muted'}`}>
          {typed
            ? 'The new value replaces the stored one when you save.'
            : clearing
              ? 'The stored value will be removed when you save.'
              : 'A value is stored (never shown). Type to replace it.'}
        </span>
      )}
    </div>
  );
}
