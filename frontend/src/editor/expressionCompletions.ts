// What the expression editor offers as you type `$`: the sample item's fields ($item.…), the outputs of
// every upstream node ($node.<id>.items[0].…), from pinned data or the last run, the bindings, and the
// JSONata functions with their signature and one line of help (https://docs.jsonata.org/string-functions,
// numeric-functions, aggregation-functions, boolean-functions, array-functions, object-functions,
// date-time-functions, higher-order-functions).
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { EditorView } from '@codemirror/view';
import type { DocEdge, Item } from '../api/types';
import type { EditorState } from '../store/documentStore';
import { samplePaths } from './sample';

export interface JsonataFunction {
  name: string;
  signature: string;
  help: string;
}

export const JSONATA_FUNCTIONS: JsonataFunction[] = [
  // string
  { name: '$string', signature: '$string(arg, prettify?)', help: 'Casts a value to a string (objects and arrays as JSON).' },
  { name: '$length', signature: '$length(str)', help: 'Number of characters in a string.' },
  { name: '$substring', signature: '$substring(str, start, length?)', help: 'Part of a string from a zero-based start (negative counts from the end).' },
  { name: '$substringBefore', signature: '$substringBefore(str, chars)', help: 'The text before the first occurrence of chars.' },
  { name: '$substringAfter', signature: '$substringAfter(str, chars)', help: 'The text after the first occurrence of chars.' },
  { name: '$uppercase', signature: '$uppercase(str)', help: 'The string in upper case.' },
  { name: '$lowercase', signature: '$lowercase(str)', help: 'The string in lower case.' },
  { name: '$trim', signature: '$trim(str)', help: 'Removes leading and trailing whitespace and collapses inner runs to one space.' },
  { name: '$pad', signature: '$pad(str, width, char?)', help: 'Pads to width with char (negative width pads on the left).' },
  { name: '$contains', signature: '$contains(str, pattern)', help: 'True when the string contains the text or matches the regex.' },
  { name: '$split', signature: '$split(str, separator, limit?)', help: 'Splits a string into an array at a text or regex separator.' },
  { name: '$join', signature: '$join(array, separator?)', help: 'Joins an array of strings into one string.' },
  { name: '$match', signature: '$match(str, pattern, limit?)', help: 'Regex matches with their groups and positions.' },
  { name: '$replace', signature: '$replace(str, pattern, replacement, limit?)', help: 'Replaces text or regex matches.' },
  { name: '$base64encode', signature: '$base64encode(str)', help: 'Base64 text of a string.' },
  { name: '$base64decode', signature: '$base64decode(str)', help: 'The string a Base64 text encodes.' },
  { name: '$formatNumber', signature: '$formatNumber(number, picture, options?)', help: "Formats a number with a decimal picture, e.g. '#,##0.00'." },
  { name: '$formatBase', signature: '$formatBase(number, radix?)', help: 'The number as a string in another base (2 to 36).' },
  { name: '$formatInteger', signature: '$formatInteger(number, picture)', help: "An integer as words, roman numerals or padded digits ('w', 'I', '000')." },
  { name: '$parseInteger', signature: '$parseInteger(str, picture)', help: 'Parses an integer written as $formatInteger writes it.' },
  // numeric
  { name: '$number', signature: '$number(arg)', help: 'Casts a string or boolean to a number.' },
  { name: '$abs', signature: '$abs(number)', help: 'Absolute value.' },
  { name: '$floor', signature: '$floor(number)', help: 'Rounds down to an integer.' },
  { name: '$ceil', signature: '$ceil(number)', help: 'Rounds up to an integer.' },
  { name: '$round', signature: '$round(number, precision?)', help: "Rounds half to even to precision decimal places (banker's rounding)." },
  { name: '$power', signature: '$power(base, exponent)', help: 'base raised to exponent.' },
  { name: '$sqrt', signature: '$sqrt(number)', help: 'Square root.' },
  { name: '$random', signature: '$random()', help: 'A pseudo-random number between 0 (inclusive) and 1.' },
  // aggregation
  { name: '$sum', signature: '$sum(array)', help: 'Sum of an array of numbers.' },
  { name: '$max', signature: '$max(array)', help: 'Largest number of an array.' },
  { name: '$min', signature: '$min(array)', help: 'Smallest number of an array.' },
  { name: '$average', signature: '$average(array)', help: 'Mean of an array of numbers.' },
  // boolean
  { name: '$boolean', signature: '$boolean(arg)', help: 'Casts a value to true or false (empty string, 0, null: false).' },
  { name: '$not', signature: '$not(arg)', help: 'Logical negation of the value cast to boolean.' },
  { name: '$exists', signature: '$exists(arg)', help: 'True when the expression has a value (a missing field: false).' },
  // array
  { name: '$count', signature: '$count(array)', help: 'Number of items in an array.' },
  { name: '$append', signature: '$append(array1, array2)', help: 'One array with the items of both.' },
  { name: '$sort', signature: '$sort(array, function?)', help: 'Sorted copy; the function($l, $r) says when $l goes after $r.' },
  { name: '$reverse', signature: '$reverse(array)', help: 'The array in reverse order.' },
  { name: '$shuffle', signature: '$shuffle(array)', help: 'The array in random order.' },
  { name: '$distinct', signature: '$distinct(array)', help: 'The array without duplicate values.' },
  { name: '$zip', signature: '$zip(array1, array2, …)', help: 'Pairs items at the same position into arrays.' },
  // object
  { name: '$keys', signature: '$keys(object)', help: "The object's keys as an array." },
  { name: '$lookup', signature: '$lookup(object, key)', help: 'The value of key in the object.' },
  { name: '$spread', signature: '$spread(object)', help: 'An array of one-key objects, one per key.' },
  { name: '$merge', signature: '$merge(array<object>)', help: 'One object with the keys of all (later ones win).' },
  { name: '$each', signature: '$each(object, function)', help: 'Calls function($value, $key) for every key; returns the results.' },
  { name: '$sift', signature: '$sift(object, function)', help: 'The keys for which function($value, $key) is true.' },
  { name: '$type', signature: '$type(value)', help: "The value's type: 'string', 'number', 'boolean', 'array', 'object', 'null'." },
  { name: '$error', signature: '$error(message)', help: 'Stops the expression with this error message.' },
  { name: '$assert', signature: '$assert(condition, message)', help: 'Stops with message when condition is false.' },
  // date and time
  { name: '$now', signature: '$now(picture?, timezone?)', help: 'The current time as an ISO 8601 string (same for the whole evaluation).' },
  { name: '$millis', signature: '$millis()', help: 'The current time in milliseconds since the Unix epoch.' },
  { name: '$fromMillis', signature: '$fromMillis(number, picture?, timezone?)', help: 'Milliseconds since the epoch as a formatted timestamp.' },
  { name: '$toMillis', signature: '$toMillis(timestamp, picture?)', help: 'Milliseconds since the epoch of an ISO 8601 (or pictured) timestamp.' },
  // higher-order
  { name: '$map', signature: '$map(array, function)', help: 'Calls function($v, $i, $a) on every item; returns the results.' },
  { name: '$filter', signature: '$filter(array, function)', help: 'The items for which function($v, $i, $a) is true.' },
  { name: '$single', signature: '$single(array, function?)', help: 'The one item that matches; an error when none or several do.' },
  { name: '$reduce', signature: '$reduce(array, function, init?)', help: 'Folds the array with function($acc, $v) into one value.' },
];

/** The info panel beside a highlighted option: the signature in code, then the line of help (text only). */
function infoPanel(signature: string, help: string): () => Node {
  return () => {
    const box = document.createElement('div');
    box.className = 'cm-fb-info';
    const code = document.createElement('code');
    code.textContent = signature;
    const p = document.createElement('div');
    p.textContent = help;
    box.append(code, p);
    return box;
  };
}

const BINDINGS: Completion[] = [
  { label: '$item', type: 'variable', detail: 'the current item', info: 'The item this node is working on (also the root, $).' },
  { label: '$index', type: 'variable', detail: 'number', info: "The current item's position in its batch (0-based)." },
  { label: '$node', type: 'variable', detail: 'upstream outputs', info: '$node.<node id>.items: the items an upstream node output in this run.' },
  { label: '$run', type: 'variable', detail: 'run info', info: 'The run: id, flow, started_at, origin.' },
  { label: '$vars', type: 'variable', detail: 'variables', info: "The organisation's and the flow's variables." },
];

export interface UpstreamSample {
  id: string;
  label: string;
  source: 'pinned' | 'run';
  item: Item;
}

/** A JSONata path step for a node id or key: plain when it is an identifier, else in backticks. */
const step = (name: string) => (/^[A-Za-z_]\w*$/.test(name) ? name : `\`${name.replace(/`/g, '')}\``);

/** Every node upstream of ``nodeId`` (nearest first) with a sample item: its pinned data, else its last run. */
export function upstreamSamples(
  state: { document: { edges: DocEdge[]; nodes: { id: string; label: string }[] }; pinned: EditorState['pinned']; run: EditorState['run'] },
  nodeId: string,
): UpstreamSample[] {
  const seen = new Set<string>([nodeId]);
  const queue = [nodeId];
  const out: UpstreamSample[] = [];
  const labels = new Map(state.document.nodes.map((n) => [n.id, n.label]));
  while (queue.length) {
    const current = queue.shift()!;
    for (const e of state.document.edges.filter((x) => x.target === current)) {
      if (seen.has(e.source)) continue;
      seen.add(e.source);
      queue.push(e.source);
      const pinned = state.pinned[e.source]?.[0];
      const ran = Object.values(state.run?.nodeRuns[e.source]?.output_items ?? {}).flat()[0];
      const item = pinned ?? ran;
      if (item) out.push({ id: e.source, label: labels.get(e.source) ?? e.source, source: pinned ? 'pinned' : 'run', item });
    }
  }
  return out;
}

export interface CompletionData {
  /** Paths of the sample item ($item's fields). */
  paths: string[];
  upstream: UpstreamSample[];
}

/** Every option, best first: $item fields, upstream outputs, bindings, functions. */
export function expressionOptions(data: CompletionData): Completion[] {
  const fields: Completion[] = data.paths.map((p) => ({ label: `$item.${p}`, type: 'property', detail: 'sample field', boost: 3 }));
  const upstream: Completion[] = data.upstream.flatMap((u) =>
    samplePaths(u.item).map((p) => ({
      label: `$node.${step(u.id)}.items[0].${p}`,
      type: 'property',
      detail: `${u.label} · ${u.source === 'pinned' ? 'pinned' : 'last run'}`,
      boost: 1,
    })),
  );
  const functions: Completion[] = JSONATA_FUNCTIONS.map((f) => ({
    label: f.name,
    type: 'function',
    detail: f.signature.slice(f.name.length),
    info: infoPanel(f.signature, f.help),
    apply: `${f.name}(`,
    boost: -1,
  }));
  return [...fields, ...upstream, ...BINDINGS, ...functions];
}

/** The CodeMirror completion source: active after a `$`, on the word being typed. */
export function expressionCompletionSource(get: () => CompletionData) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/\$[\w.`[\]]*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    return { from: word.from, options: expressionOptions(get()), validFor: /^\$[\w.`[\]]*$/ };
  };
}

/** Styles of the completion list and its info panel (inside the editor's shadow root, so a CM theme). */
export const completionTheme = EditorView.theme({
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--fb-mono)', fontSize: '12px', maxHeight: '15em', minWidth: '320px' },
  '.cm-completionDetail': { color: '#6b7280', fontStyle: 'normal', marginLeft: '1em' },
  '.cm-tooltip.cm-completionInfo': { maxWidth: '320px', padding: '6px 8px' },
  '.cm-fb-info code': { display: 'block', fontFamily: 'var(--fb-mono)', fontWeight: '600', marginBottom: '3px' },
  '.cm-fb-info div': { fontFamily: 'system-ui, sans-serif', fontSize: '12px', color: '#374151' },
});
