// Connections and the connector registry (docs/api.md; flowbuilder/api/views/connections.py).
// Secrets are write-only: answers name the secret fields that are set (`secrets_set`), never values.
import { byId, http, rows, unwrap } from './client';
import type { ConnectionCreateBody, ConnectionUpdateBody, ConnectorInfo } from './types';

export const connectionsApi = {
  /** All connections of one organisation (one page of up to 500: organisations have a handful). */
  list: async (organisation: number) =>
    rows(await unwrap(http.GET('/api/connections/', { params: { query: { organisation, limit: 500 } } }))),
  /** One connector's connections of an organisation (the editor's and the clone dialog's pickers). */
  forConnector: async (organisation: number | undefined, connector: string) =>
    rows(await unwrap(http.GET('/api/connections/', { params: { query: { organisation, connector, limit: 500 } } }))),
  get: (id: number) => unwrap(http.GET('/api/connections/{id}/', byId(id))),
  create: (body: ConnectionCreateBody) => unwrap(http.POST('/api/connections/', { body })),
  update: (id: number, body: ConnectionUpdateBody) => unwrap(http.PATCH('/api/connections/{id}/', { ...byId(id), body })),
  remove: (id: number) => unwrap(http.DELETE('/api/connections/{id}/', byId(id))),
  test: (id: number) => unwrap(http.POST('/api/connections/{id}/test/', byId(id))),
  /** Connect: starts the OAuth consent; the answer's `authorize_url` is where the browser goes next. */
  authorize: (id: number) => unwrap(http.POST('/api/connections/{id}/authorize/', byId(id))),
  /** The registry; credential and config schemas read as the JSON Schema the forms are built from. */
  connectors: () => unwrap(http.GET('/api/connectors/')) as Promise<ConnectorInfo[]>,
};
