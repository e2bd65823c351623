/**
 * Development-only mock of docs/api.md (+ the run websocket), enabled with FB_MOCK=1 for `vite` and
 * `vite preview`. It also serves the SPA shell the way Django does (manifest -> script/link, fb-config
 * JSON), so screenshots exercise the production wiring. Never part of the build.
 */
import type { Plugin, ViteDevServer, PreviewServer } from 'vite';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NODE_TYPES, OPPS, oppFlowDocument } from './mockData.ts';
import { handleConnections } from './mockConnections.ts';

const now = () => new Date().toISOString();
const ago = (min: number) => new Date(Date.now() - min * 60000).toISOString();

const me = {
  id: 1, username: 'ana', email: 'ana@partner.example', display_name: 'Ana Analyst',
  organisations: [
    { id: 10, name: 'Northwind Partners', kind: 'partner', role: 'admin', parent: null },
    { id: 11, name: 'Acme Corp', kind: 'customer', role: 'builder', parent: 10 },
  ],
};

interface MockFlow { id: number; organisation: number; name: string; description: string; tags: string[]; status: string; document: any; revision: number; saved_by: string; saved_at: string; versions: any[]; updated_at: string }
const flows: MockFlow[] = [
  { id: 1, organisation: 10, name: 'Opportunity won → Kantata workspace', description: 'Creates the project when a deal closes', tags: ['salesforce', 'kantata'], status: 'published', document: oppFlowDocument(), revision: 7, saved_by: 'ana', saved_at: ago(90), versions: [{ id: 101, number: 1, comment: 'First cut', state: 'published', created_by: 'ana', created_at: ago(3000) }, { id: 102, number: 2, comment: 'Map budget and currency', state: 'published', created_by: 'bo', created_at: ago(400) }], updated_at: ago(90) },
  { id: 2, organisation: 10, name: 'Approved time → NetSuite invoice', description: '', tags: ['netsuite', 'billing'], status: 'draft', document: { schema_version: 1, nodes: [{ id: 'n_s', type: 'trigger.schedule', label: 'Every morning', position: { x: 0, y: 0 }, config: { cron: '0 6 * * *' } }], edges: [], notes: [] }, revision: 2, saved_by: 'bo', saved_at: ago(600), versions: [], updated_at: ago(600) },
  { id: 3, organisation: 10, name: 'Nightly customer sync', description: 'CRM accounts to ERP customers', tags: ['netsuite', 'salesforce'], status: 'published', document: { schema_version: 1, nodes: [], edges: [], notes: [] }, revision: 1, saved_by: 'ana', saved_at: ago(5000), versions: [], updated_at: ago(5000) },
];

interface MockRun { id: number; flow: number; status: string; trigger: string; created_at: string; started_at: string | null; finished_at: string | null; duration_ms: number | null; error: string | null; document: any; node_runs: any[]; events: any[]; input: any[] }
const runs: MockRun[] = [];
const sockets = new Map<number, Set<Duplex>>();

function topo(doc: any): string[] {
  const indeg = new Map<string, number>(doc.nodes.map((n: any) => [n.id, 0]));
  for (const e of doc.edges) indeg.set(e.target, (indeg.get(e.target) ?? 0) + 1);
  const q = [...indeg].filter(([, d]) => d === 0).map(([id]) => id);
  const out: string[] = [];
  while (q.length) {
    const id = q.shift()!;
    out.push(id);
    for (const e of doc.edges.filter((x: any) => x.source === id)) {
      indeg.set(e.target, indeg.get(e.target)! - 1);
      if (indeg.get(e.target) === 0) q.push(e.target);
    }
  }
  return out;
}

function lookup(item: any, path: string): any {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k.replace(/`/g, '')]), item);
}

export function evalExpression(expr: string, item: any): { result?: any; error?: string; position?: number } {
  const open = expr.indexOf('{{');
  if (open >= 0 && expr.indexOf('}}', open) < 0) return { error: 'Unclosed {{ template', position: open + 1 };
  const evalInner = (s: string): any => {
    const src = s.trim();
    const m = src.match(/^\$item(?:\.([\w.`\s]+))?$/);
    if (m) return m[1] ? lookup(item, m[1]) : item;
    const cmp = src.match(/^\$item\.([\w.]+)\s*(>|<|=)\s*(\d+)$/);
    if (cmp) {
      const v = Number(lookup(item, cmp[1]));
      return cmp[2] === '>' ? v > Number(cmp[3]) : cmp[2] === '<' ? v < Number(cmp[3]) : v === Number(cmp[3]);
    }
    const up = src.match(/^\$uppercase\(\$item\.([\w.]+)\)$/);
    if (up) return String(lookup(item, up[1]) ?? '').toUpperCase();
    if (/^\$/.test(src) && !/^\$item/.test(src)) return { __error: `Unknown function or variable ${src.split(/[(\s]/)[0]}` };
    return src;
  };
  if (open < 0) {
    const r = evalInner(expr);
    return r && r.__error ? { error: r.__error, position: 1 } : { result: r };
  }
  const whole = expr.trim().match(/^\{\{([^}]*)\}\}$/);
  if (whole) {
    const r = evalInner(whole[1]);
    return r && r.__error ? { error: r.__error, position: 3 } : { result: r };
  }
  return { result: expr.replace(/\{\{([^}]*)\}\}/g, (_, inner) => String(evalInner(inner) ?? '')) };
}

function findingsFor(doc: any): any[] {
  const out: any[] = [];
  for (const n of doc.nodes) {
    const t = NODE_TYPES.find((x) => x.type === n.type);
    if (!t) {
      out.push({ node_id: n.id, message: `Unknown node type ${n.type}`, code: 'unknown_type' });
      continue;
    }
    for (const req of (t.config_schema as any).required ?? []) {
      const v = n.config?.[req];
      if (v === undefined || v === '' || v === null) out.push({ node_id: n.id, field: req, message: 'is required', code: 'required' });
    }
  }
  return out;
}

function flowSummary(f: MockFlow) {
  const last = runs.filter((r) => r.flow === f.id).sort((a, b) => b.id - a.id)[0];
  const pub = f.versions.filter((v) => v.state === 'published').pop();
  return {
    id: f.id, organisation: f.organisation, name: f.name, description: f.description, tags: f.tags, status: f.status, draft_revision: f.revision,
    updated_at: f.updated_at, updated_by: f.saved_by, published_version: pub ? { id: pub.id, number: pub.number } : null,
    last_run: last ? { id: last.id, status: last.status, created_at: last.created_at } : null, webhook_url: `http://127.0.0.1:8000/hooks/tok${f.id}abc/`,
  };
}

function flowDetail(f: MockFlow) {
  return { ...flowSummary(f), draft: { document: f.document, revision: f.revision, saved_by: f.saved_by, saved_at: f.saved_at, findings: findingsFor(f.document) } };
}

function runSummary(r: MockRun) {
  const f = flows.find((x) => x.id === r.flow);
  return { id: r.id, flow: r.flow, flow_name: f?.name ?? '?', version: null, status: r.status, trigger: r.trigger, created_at: r.created_at, started_at: r.started_at, finished_at: r.finished_at, duration_ms: r.duration_ms, error: r.error, node_count: r.document.nodes.length };
}

function runDetail(r: MockRun) {
  return { ...runSummary(r), node_runs: r.node_runs, last_seq: r.events.length ? r.events[r.events.length - 1].seq : 0, document: r.document };
}

function produce(node: any, items: any[]): Record<string, any[]> {
  switch (node.type) {
    case 'crm.salesforce.query':
      return { main: OPPS };
    case 'transform.map': {
      const fields = Array.isArray(node.config?.fields) ? node.config.fields : [];
      return { main: items.map((it) => Object.fromEntries(fields.map((f: any) => [f.name, evalExpression(String(f.value ?? ''), it).result]))) };
    }
    case 'logic.if': {
      const yes: any[] = [];
      const no: any[] = [];
      items.forEach((it, i) => (i % 3 === 2 ? no : yes).push(it));
      return { true: yes, false: no };
    }
    default:
      return { main: items };
  }
}

function pushEvents(run: MockRun, evs: any[]) {
  for (const ev of evs) {
    ev.seq = run.events.length + 1;
    ev.at = now();
    run.events.push(ev);
  }
  for (const s of sockets.get(run.id) ?? []) send(s, { type: 'events', events: evs });
}

function startRun(flow: MockFlow, input: any[], opts: { only_node?: string; pinned?: Record<string, any[]> } = {}): MockRun {
  const doc = JSON.parse(JSON.stringify(flow.document));
  const run: MockRun = { id: (runs[runs.length - 1]?.id ?? 0) + 1, flow: flow.id, status: 'queued', trigger: 'manual', created_at: now(), started_at: null, finished_at: null, duration_ms: null, error: null, document: doc, node_runs: [], events: [], input };
  runs.push(run);
  pushEvents(run, [{ type: 'run.queued', node_id: null, payload: {} }]);
  const order = opts.only_node ? [opts.only_node] : topo(doc);
  const outputs = new Map<string, Record<string, any[]>>();
  for (const [k, v] of Object.entries(opts.pinned ?? {})) outputs.set(k, { main: v });
  const t0 = Date.now();
  let i = 0;
  const step = () => {
    if (i === 0) {
      run.status = 'running';
      run.started_at = now();
      pushEvents(run, [{ type: 'run.started', node_id: null, payload: {} }]);
    }
    if (i >= order.length) {
      const failed = run.node_runs.some((n) => n.status === 'failed');
      run.status = failed ? 'failed' : 'succeeded';
      run.finished_at = now();
      run.duration_ms = Date.now() - t0;
      if (failed) run.error = 'Create workspace failed: Kantata refused the request (422).';
      pushEvents(run, [{ type: `run.${run.status}`, node_id: null, payload: {} }]);
      return;
    }
    const id = order[i++];
    const node = doc.nodes.find((n: any) => n.id === id);
    const incoming = doc.edges.filter((e: any) => e.target === id);
    const items = incoming.length ? incoming.flatMap((e: any) => outputs.get(e.source)?.[e.source_port] ?? []) : input;
    const skipped = node.disabled || (incoming.length > 0 && items.length === 0 && !opts.only_node);
    pushEvents(run, [{ type: 'node.started', node_id: id, payload: { attempt: 1, input_count: items.length } }]);
    setTimeout(() => {
      const nr: any = { node_id: id, status: 'succeeded', attempt: 1, input_counts: { main: items.length }, output_counts: {}, input_items: { main: items.slice(0, 50) }, output_items: {}, error: null, started_at: now(), finished_at: now(), duration_ms: 120 + Math.round(Math.random() * 300) };
      if (skipped) {
        nr.status = 'skipped';
        outputs.set(id, {});
        run.node_runs.push(nr);
        pushEvents(run, [{ type: 'node.skipped', node_id: id, payload: { attempt: 1, input_count: 0, output_counts: {}, duration_ms: 0 } }]);
      } else if (node.type === 'psa.kantata.create_workspace' && !node.config?.connection) {
        nr.status = 'failed';
        nr.error = { message: 'Kantata refused the request: 422 Unprocessable Entity — workspace title is required', hint: 'Pick a Kantata connection and map "title" in the previous Map fields node.' };
        run.node_runs.push(nr);
        outputs.set(id, {});
        pushEvents(run, [{ type: 'node.failed', node_id: id, payload: { attempt: 1, input_count: items.length, output_counts: {}, duration_ms: nr.duration_ms, error: nr.error } }]);
      } else {
        const out = produce(node, items);
        outputs.set(id, out);
        nr.output_items = out;
        nr.output_counts = Object.fromEntries(Object.entries(out).map(([p, v]) => [p, v.length]));
        run.node_runs.push(nr);
        pushEvents(run, [{ type: 'node.succeeded', node_id: id, payload: { attempt: 1, input_count: items.length, output_counts: nr.output_counts, duration_ms: nr.duration_ms } }]);
      }
      setTimeout(step, 250);
    }, 450);
  };
  setTimeout(step, 300);
  return run;
}

// Seed two finished runs.
(function seed() {
  const f = flows[0];
  const r = startRun(f, [{ Id: '006A1' }]);
  r.trigger = 'webhook';
})();

// ---------------------------------------------------------------- websocket (RFC 6455, text frames only)
function frame(data: string): Buffer {
  const payload = Buffer.from(data);
  const len = payload.length;
  let head: Buffer;
  if (len < 126) head = Buffer.from([0x81, len]);
  else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x81;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x81;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

function send(s: Duplex, msg: unknown) {
  if (!s.destroyed) s.write(frame(JSON.stringify(msg)));
}

function decode(buf: Buffer): { opcode: number; text: string } | null {
  if (buf.length < 2) return null;
  const opcode = buf[0] & 0x0f;
  let len = buf[1] & 0x7f;
  let off = 2;
  if (len === 126) {
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  const masked = (buf[1] & 0x80) !== 0;
  const mask = masked ? buf.subarray(off, off + 4) : null;
  if (masked) off += 4;
  const data = Buffer.from(buf.subarray(off, off + len));
  if (mask) for (let i = 0; i < data.length; i++) data[i] ^= mask[i % 4];
  return { opcode, text: data.toString() };
}

function onUpgrade(req: IncomingMessage, socket: Duplex) {
  const m = req.url?.match(/^\/ws\/runs\/(\d+)\/?/);
  if (!m) return;
  const run = runs.find((r) => r.id === Number(m[1]));
  const key = req.headers['sec-websocket-key'];
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  if (!run) {
    socket.write(Buffer.from([0x88, 2, 0x11, 0x34])); // close 4404
    socket.end();
    return;
  }
  const set = sockets.get(run.id) ?? new Set();
  sockets.set(run.id, set);
  set.add(socket);
  send(socket, { type: 'snapshot', seq: run.events.length, run: runDetail(run) });
  socket.on('data', (buf: Buffer) => {
    const f = decode(buf);
    if (!f) return;
    if (f.opcode === 8) {
      socket.end();
      return;
    }
    try {
      const msg = JSON.parse(f.text);
      if (msg.type === 'resume') send(socket, { type: 'events', events: run.events.filter((e) => e.seq > msg.after_seq) });
    } catch {
      /* ignore */
    }
  });
  const drop = () => set.delete(socket);
  socket.on('close', drop);
  socket.on('error', drop);
}

// ---------------------------------------------------------------- HTTP
async function body(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) : {};
}

function json(res: ServerResponse, status: number, data: unknown) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(data));
}

function page<T>(items: T[], q: URLSearchParams) {
  const limit = Number(q.get('limit') ?? 50);
  const offset = Number(q.get('offset') ?? 0);
  return { count: items.length, next: null, previous: null, results: items.slice(offset, offset + limit) };
}

async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  await new Promise((r) => setTimeout(r, 120)); // feel the spinners
  let m: RegExpMatchArray | null;
  if (p === '/api/me/') return json(res, 200, me), true;
  if (p === '/api/auth/logout/') return json(res, 200, {}), true;
  if (p === '/api/node-types/') return json(res, 200, NODE_TYPES), true;
  if (await handleConnections(req, res)) return true;
  if (p === '/api/connections/') {
    const c = q.get('connector');
    if (c === 'http') return json(res, 404, { detail: 'Not found.' }), true;
    return json(res, 200, page([{ id: 1, ref: 'conn_1', name: `${c ?? 'sandbox'} production`, connector: c, environment: 'prod' }, { id: 2, ref: 'conn_2', name: `${c ?? 'sandbox'} sandbox`, connector: c, environment: 'dev' }], q)), true;
  }
  if (p === '/api/expressions/preview/' && method === 'POST') {
    const b = await body(req);
    const r = evalExpression(String(b.expression ?? ''), b.item ?? {});
    return json(res, r.error ? 400 : 200, r), true;
  }
  if (p === '/api/flows/' && method === 'GET') {
    const org = Number(q.get('organisation'));
    const s = (q.get('search') ?? '').toLowerCase();
    const list = flows.filter((f) => (!org || f.organisation === org) && (!s || f.name.toLowerCase().includes(s)) && (!q.get('status') || f.status === q.get('status')) && (!q.get('tag') || f.tags.includes(q.get('tag')!)));
    return json(res, 200, page(list.map(flowSummary), q)), true;
  }
  if ((p === '/api/flows/' || p === '/api/flows/import/') && method === 'POST') {
    const b = await body(req);
    const data = p === '/api/flows/' ? b : { name: b.data?.name ?? 'Imported flow', document: b.data?.document ?? b.data };
    const f: MockFlow = { id: Math.max(...flows.map((x) => x.id)) + 1, organisation: b.organisation, name: data.name, description: '', tags: [], status: 'draft', document: data.document ?? { schema_version: 1, nodes: [], edges: [], notes: [] }, revision: 1, saved_by: me.username, saved_at: now(), versions: [], updated_at: now() };
    flows.push(f);
    return json(res, 201, flowDetail(f)), true;
  }
  if ((m = p.match(/^\/api\/flows\/(\d+)\/(.*)$/))) {
    const f = flows.find((x) => x.id === Number(m![1]));
    if (!f) return json(res, 404, { detail: 'Not found.' }), true;
    const sub = m[2];
    if (sub === '' && method === 'GET') return json(res, 200, flowDetail(f)), true;
    if (sub === '' && method === 'PATCH') {
      Object.assign(f, await body(req));
      return json(res, 200, flowDetail(f)), true;
    }
    if (sub === 'draft/' && method === 'PUT') {
      const b = await body(req);
      if (b.revision !== f.revision && !b.force) return json(res, 409, { detail: 'The draft changed since you loaded it.', saved_by: f.saved_by, saved_at: f.saved_at, revision: f.revision }), true;
      f.document = b.document;
      f.revision += 1;
      f.saved_by = me.username;
      f.saved_at = now();
      f.updated_at = now();
      return json(res, 200, { revision: f.revision, saved_at: f.saved_at, saved_by: f.saved_by, findings: findingsFor(f.document) }), true;
    }
    if (sub === 'validate/') return json(res, 200, { findings: findingsFor((await body(req)).document) }), true;
    if (sub === 'publish/') {
      const b = await body(req);
      const findings = findingsFor(f.document);
      if (findings.length) return json(res, 400, { detail: 'The draft has problems.', findings }), true;
      const v = { id: 100 + f.id * 10 + f.versions.length + 1, number: f.versions.length + 1, comment: b.comment ?? '', state: 'published', created_by: me.username, created_at: now(), document: f.document };
      f.versions.push(v);
      f.status = 'published';
      return json(res, 201, v), true;
    }
    if (sub === 'versions/') return json(res, 200, [...f.versions].reverse().map((v) => ({ ...v, document: undefined }))), true;
    if (sub === 'export/') return json(res, 200, { format: 'flowbuilder/flow', version: 1, name: f.name, document: f.document }), true;
    if (sub === 'run/' && method === 'POST') {
      const b = await body(req);
      const input = Array.isArray(b.input) ? b.input : [b.input ?? {}];
      const r = startRun(f, input, { only_node: b.only_node, pinned: b.pinned });
      return json(res, 201, { id: r.id, status: r.status }), true;
    }
  }
  if ((m = p.match(/^\/api\/versions\/(\d+)\/$/))) {
    for (const f of flows) {
      const v = f.versions.find((x) => x.id === Number(m![1]));
      if (v) return json(res, 200, { ...v, document: v.document ?? f.document }), true;
    }
    return json(res, 404, { detail: 'Not found.' }), true;
  }
  if (p === '/api/runs/') {
    const list = runs.filter((r) => (!q.get('flow') || r.flow === Number(q.get('flow'))) && (!q.get('status') || r.status === q.get('status'))).sort((a, b) => b.id - a.id);
    return json(res, 200, page(list.map(runSummary), q)), true;
  }
  if ((m = p.match(/^\/api\/runs\/(\d+)\/(.*)$/))) {
    const r = runs.find((x) => x.id === Number(m![1]));
    if (!r) return json(res, 404, { detail: 'Not found.' }), true;
    if (m[2] === '') return json(res, 200, runDetail(r)), true;
    if (m[2] === 'events/') return json(res, 200, r.events.filter((e) => e.seq > Number(q.get('after_seq') ?? 0))), true;
    if (m[2] === 'replay/') {
      const nr = startRun(flows.find((f) => f.id === r.flow)!, r.input);
      return json(res, 201, { id: nr.id, status: nr.status }), true;
    }
    return json(res, 200, {}), true;
  }
  if ((m = p.match(/^\/__mock\/bump\/(\d+)\/?$/))) {
    const f = flows.find((x) => x.id === Number(m![1]))!;
    f.revision += 1;
    f.saved_by = 'bo';
    f.saved_at = now();
    return json(res, 200, { revision: f.revision }), true;
  }
  if (p.startsWith('/api/')) return json(res, 404, { detail: 'Not found.' }), true;
  return false;
}

function shellHtml(scripts: string): string {
  const config = { user: { id: 1, username: 'ana' }, csrfToken: 'dev-token', branding: { product_name: 'Northwind Flow', logo_url: null, primary_color: '#3558d4', accent_color: '#0f9f8f' } };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Flowbuilder</title>${scripts}</head><body><div id="root"></div><script id="fb-config" type="application/json">${JSON.stringify(config).replace(/</g, '\\u003c')}</script></body></html>`;
}

function isNavigation(req: IncomingMessage): boolean {
  const u = req.url ?? '/';
  return req.method === 'GET' && !u.startsWith('/static/') && !u.startsWith('/@') && !u.startsWith('/node_modules') && !u.startsWith('/src/') && !/\.\w+$/.test(u.split('?')[0]) && (req.headers.accept ?? '').includes('text/html');
}

export function mockApi(): Plugin {
  return {
    name: 'fb-mock-api',
    apply: () => true,
    configureServer(server: ViteDevServer) {
      server.httpServer?.on('upgrade', (req: IncomingMessage, socket: Duplex) => req.url?.startsWith('/ws/') && onUpgrade(req, socket));
      server.middlewares.use(async (req, res, next) => {
        if (await handleApi(req, res)) return;
        if (req.url?.startsWith('/login/')) return void res.end('<h1>Django login page (mock)</h1>');
        if (isNavigation(req)) {
          const html = await server.transformIndexHtml(req.url ?? '/', shellHtml('<script type="module" src="/src/main.tsx"></script>'));
          res.setHeader('Content-Type', 'text/html');
          return void res.end(html);
        }
        next();
      });
    },
    configurePreviewServer(server: PreviewServer) {
      server.httpServer?.on('upgrade', (req: IncomingMessage, socket: Duplex) => req.url?.startsWith('/ws/') && onUpgrade(req, socket));
      server.middlewares.use(async (req, res, next) => {
        if (await handleApi(req, res)) return;
        if (req.url?.startsWith('/login/')) return void res.end('<h1>Django login page (mock)</h1>');
        if (isNavigation(req)) {
          const manifest = JSON.parse(readFileSync(resolve(server.config.build.outDir, '.vite/manifest.json'), 'utf8'));
          const entry = manifest['src/main.tsx'];
          const tags = `<script type="module" crossorigin src="/static/app/${entry.file}"></script>${(entry.css ?? []).map((c: string) => `<link rel="stylesheet" href="/static/app/${c}">`).join('')}`;
          res.setHeader('Content-Type', 'text/html');
          // The CSP Django will send: no inline script execution, no eval, same-origin only.
          res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
          return void res.end(shellHtml(tags));
        }
        next();
      });
    },
  };
}
