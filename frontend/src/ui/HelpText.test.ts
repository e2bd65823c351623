import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { HelpText } from './HelpText';

// Issue 10, defect 10: the Help tab renders markdown, and never raw HTML or script URLs.
describe('HelpText', () => {
  it('renders markdown', () => {
    const html = renderToStaticMarkup(createElement(HelpText, { source: 'Sends **one** request.\n\n* `429` retried\n* other' }));
    expect(html).toContain('<strong>one</strong>');
    expect(html).toContain('<li><code>429</code> retried</li>');
    expect(html).not.toContain('**');
  });

  it('keeps raw HTML and javascript: links inert', () => {
    const html = renderToStaticMarkup(
      createElement(HelpText, { source: '<img src=x onerror="alert(1)"> <script>alert(2)</script> [click](javascript:alert(3))' }),
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/href="javascript:/i);
  });
});
