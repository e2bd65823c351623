// CodeMirror 6 wrapper for expressions ({{ }} templates / JSONata) and JSON.
// CSP note: CodeMirror (style-mod) injects a <style> element when mounted in the document, which a
// strict `style-src 'self'` blocks. Mounted in a shadow root it uses constructable stylesheets
// (adoptedStyleSheets) instead, which CSP allows, so each editor lives in its own open shadow root.
// No eval is used.
import { useEffect, useRef } from 'react';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap, placeholder as cmPlaceholder, drawSelection } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { StreamLanguage, syntaxHighlighting, HighlightStyle, bracketMatching } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import { autocompletion, closeBrackets } from '@codemirror/autocomplete';
import { completionTheme, expressionCompletionSource, type UpstreamSample } from './expressionCompletions';
import { useUpstreamSamples } from './upstreamContext';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';

const expressionLanguage = StreamLanguage.define<{ inTemplate: boolean }>({
  startState: () => ({ inTemplate: false }),
  token(stream, state) {
    if (stream.match('{{')) {
      state.inTemplate = true;
      return 'meta';
    }
    if (stream.match('}}')) {
      state.inTemplate = false;
      return 'meta';
    }
    if (stream.match(/^\$(item|node|run|vars|index)\b/)) return 'variableName.special';
    if (stream.match(/^\$[A-Za-z_]\w*(?=\()/)) return 'keyword';
    if (stream.match(/^\$\w*/)) return 'variableName';
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^'\\]|\\.)*'?/)) return 'string';
    if (stream.match(/^`[^`]*`?/)) return 'propertyName';
    if (stream.match(/^-?\d+(\.\d+)?/)) return 'number';
    if (stream.match(/^(and|or|in|true|false|null)\b/)) return 'keyword';
    if (stream.match(/^[.][A-Za-z_]\w*/)) return 'propertyName';
    if (stream.match(/^(=|!=|<=|>=|<|>|&|\?|:|\+|-|\*|\/|%)/)) return 'operator';
    stream.next();
    return null;
  },
  tokenTable: { 'variableName.special': t.special(t.variableName) },
});

const highlight = HighlightStyle.define([
  { tag: t.meta, color: '#8a5cf6', fontWeight: '600' },
  { tag: t.special(t.variableName), color: '#0f7b8a', fontWeight: '600' },
  { tag: t.variableName, color: '#0f7b8a' },
  { tag: t.keyword, color: '#b4236b' },
  { tag: t.string, color: '#1f7a3a' },
  { tag: t.number, color: '#b35b00' },
  { tag: t.propertyName, color: '#2f4fb8' },
  { tag: t.operator, color: '#6b7280' },
  { tag: t.bool, color: '#b4236b' },
  { tag: t.null, color: '#b4236b' },
]);

const baseTheme = EditorView.theme({
  '&': { fontSize: '13px', border: '1px solid var(--fb-border)', borderRadius: '6px', background: '#fff' },
  '&.cm-focused': { outline: '2px solid var(--fb-primary-soft)', borderColor: 'var(--fb-primary)' },
  '.cm-content': { fontFamily: 'var(--fb-mono)', padding: '6px 0' },
  '.cm-scroller': { maxHeight: '320px', overflow: 'auto' },
});

export interface CodeEditorProps {
  value: string;
  onChange?: (v: string) => void;
  mode: 'expression' | 'json';
  paths?: string[];
  /** Upstream nodes' sample outputs, offered as $node.<id>.items[0].… completions. */
  upstream?: UpstreamSample[];
  placeholder?: string;
  testid?: string;
  readOnly?: boolean;
  minLines?: number;
  /** An error position (character offset) to underline, e.g. from the preview endpoint. */
  error?: { message: string; position?: number | null } | null;
  ariaLabel?: string;
}

export function CodeEditor({ value, onChange, mode, paths = [], upstream, placeholder, testid, readOnly, minLines = 1, error, ariaLabel }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  const pathsRef = useRef(paths);
  onChangeRef.current = onChange;
  pathsRef.current = paths;
  const fromInspector = useUpstreamSamples();
  const upstreamRef = useRef(upstream ?? fromInspector);
  upstreamRef.current = upstream ?? fromInspector;

  useEffect(() => {
    const exts: Extension[] = [
      history(),
      drawSelection(),
      bracketMatching(),
      closeBrackets(),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      syntaxHighlighting(highlight),
      baseTheme,
      EditorView.lineWrapping,
      EditorState.readOnly.of(!!readOnly),
      EditorView.contentAttributes.of({ 'aria-label': ariaLabel ?? (mode === 'json' ? 'JSON' : 'Expression'), ...(testid ? { 'data-testid': `${testid}-input` } : {}) }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChangeRef.current?.(u.state.doc.toString());
      }),
      EditorView.theme({ '.cm-content': { minHeight: `${minLines * 1.45 + 0.8}em` } }),
    ];
    if (placeholder) exts.push(cmPlaceholder(placeholder));
    if (mode === 'json') exts.push(json(), linter(jsonParseLinter(), { delay: 300 }), lintGutter());
    else exts.push(expressionLanguage, completionTheme, autocompletion({ override: [expressionCompletionSource(() => ({ paths: pathsRef.current, upstream: upstreamRef.current }))], activateOnTyping: true }));
    const el = host.current!;
    const shadow = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
    const mount = document.createElement('div');
    shadow.appendChild(mount);
    const v = new EditorView({ parent: mount, root: shadow, state: EditorState.create({ doc: value, extensions: exts }) });
    view.current = v;
    return () => {
      v.destroy();
      mount.remove();
      view.current = null;
    };
    // Created once per mode; value changes are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mode, readOnly]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v || mode === 'json') return;
    const len = v.state.doc.length;
    const diags: Diagnostic[] = [];
    if (error) {
      const from = Math.max(0, Math.min(len, (error.position ?? 1) - 1));
      diags.push({ from, to: Math.min(len, from + 1) || len, severity: 'error', message: error.message });
    }
    v.dispatch(setDiagnostics(v.state, diags));
  }, [error, mode]);

  return <div ref={host} className={`code-editor code-${mode}`} data-testid={testid} />;
}
