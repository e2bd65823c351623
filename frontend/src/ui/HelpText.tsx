// A node type's help text is markdown: render it with a maintained parser, never as raw HTML.
import Markdown from 'markdown-to-jsx/react';

const OPTIONS = {
  // HTML in the text stays text: help comes from connectors and plugins, which we do not fully trust.
  disableParsingRawHTML: true,
  forceBlock: true,
  overrides: {
    a: { props: { target: '_blank', rel: 'noopener noreferrer' } },
  },
};

export function HelpText({ source, testid }: { source: string; testid?: string }) {
  return (
    <div className="docs-text markdown" data-testid={testid}>
      <Markdown options={OPTIONS}>{source}</Markdown>
    </div>
  );
}
