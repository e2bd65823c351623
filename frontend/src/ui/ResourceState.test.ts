// The four faces of a loaded resource: skeleton, error with Try again, empty, content.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { ResourceState } from './ResourceState';

const render = (data: string[] | null, error: unknown = null) =>
  renderToStaticMarkup(
    createElement(ResourceState<string[]>, {
      resource: { data, error, reload: async () => undefined },
      what: 'widgets',
      testid: 'widgets',
      empty: { title: 'No widgets yet', body: 'Make one.', testid: 'widgets-empty' },
      children: (rows: string[]) => createElement('ul', { 'data-testid': 'widgets-list' }, rows.join(',')),
    }),
  );

describe('ResourceState', () => {
  it('shows a skeleton while nothing is loaded', () => {
    expect(render(null)).toContain('data-testid="widgets-loading"');
  });
  it('says what failed, in the API’s words, with Try again', () => {
    const html = render(null, new ApiError(403, { detail: 'You do not have permission.', hint: 'Ask an admin.' }));
    expect(html).toContain('data-testid="widgets-error"');
    expect(html).toContain('Could not load widgets');
    expect(html).toContain('You do not have permission. Ask an admin.');
    expect(html).toContain('Try again');
  });
  it('explains an empty list', () => {
    const html = render([]);
    expect(html).toContain('data-testid="widgets-empty"');
    expect(html).toContain('No widgets yet');
  });
  it('renders the content, also when a refresh failed and the data is still there', () => {
    expect(render(['a', 'b'])).toContain('<ul data-testid="widgets-list">a,b</ul>');
    expect(render(['a'], new Error('offline'))).toContain('widgets-list');
  });
});
