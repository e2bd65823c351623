// A handful of line icons keyed by the node type's `icon` name; unknown names fall back to initials.
const PATHS: Record<string, string> = {
  play: 'M7 5l12 7-12 7z',
  webhook: 'M12 4a4 4 0 00-3.5 6L5 16m7-12a4 4 0 013.5 6L19 16M5 16a3 3 0 106 0h8',
  clock: 'M12 3a9 9 0 100 18 9 9 0 000-18zm0 4v5l3 3',
  shuffle: 'M4 7h4l8 10h4M4 17h4l2-2.5M14 9.5L16 7h4M18 5l2 2-2 2M18 15l2 2-2 2',
  filter: 'M4 5h16l-6 8v6l-4-2v-4z',
  'git-branch': 'M6 3v12M18 9a3 3 0 10-3-3 3 3 0 003 3zm0 0c0 6-12 3-12 9M6 21a3 3 0 100-6 3 3 0 000 6z',
  merge: 'M6 3v6a6 6 0 006 6h6M6 21v-6M15 12l3 3-3 3',
  globe: 'M12 3a9 9 0 100 18 9 9 0 000-18zM3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18',
  cloud: 'M7 18h10a4 4 0 000-8 6 6 0 00-11.5 2A3 3 0 007 18z',
  database: 'M4 6c0-2 16-2 16 0v12c0 2-16 2-16 0zM4 6c0 2 16 2 16 0M4 12c0 2 16 2 16 0',
  briefcase: 'M4 8h16v11H4zM9 8V5h6v3',
  mail: 'M4 6h16v12H4zM4 6l8 7 8-7',
  sort: 'M8 4v16M4 16l4 4 4-4M16 20V4M12 8l4-4 4 4',
  layers: 'M12 3l9 5-9 5-9-5zM3 13l9 5 9-5',
  pause: 'M8 5v14M16 5v14',
  check: 'M5 12l5 5 9-10',
  box: 'M4 7l8-4 8 4v10l-8 4-8-4zM4 7l8 4 8-4M12 11v10',
};

export function NodeIcon({ name, label, size = 18 }: { name: string; label: string; size?: number }) {
  const d = PATHS[name];
  if (!d) {
    const initials = label.split(/\s+/).map((w) => w[0]).join('').slice(0, 2).toUpperCase();
    return <span className="icon-initials" aria-hidden>{initials}</span>;
  }
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
      <path d={d} />
    </svg>
  );
}
