// Read the JSON config Django's shell template renders into <script id="fb-config" type="application/json">.
export interface Branding {
  product_name: string;
  logo_url: string | null;
  primary_color: string;
  accent_color: string;
}

export interface AppConfig {
  user: { id: number; username: string; display_name?: string } | null;
  csrfToken: string | null;
  branding: Branding;
}

const DEFAULT_BRANDING: Branding = {
  product_name: 'Flowbuilder',
  logo_url: null,
  primary_color: '#3558d4',
  accent_color: '#0f9f8f',
};

let cached: AppConfig | null = null;

export function readConfig(doc: Document | null = typeof document === 'undefined' ? null : document): AppConfig {
  if (cached) return cached;
  let raw: Partial<AppConfig> = {};
  const el = doc?.getElementById('fb-config');
  if (el?.textContent) {
    try {
      raw = JSON.parse(el.textContent) as Partial<AppConfig>;
    } catch {
      raw = {};
    }
  }
  cached = {
    user: raw.user ?? null,
    csrfToken: raw.csrfToken ?? null,
    branding: { ...DEFAULT_BRANDING, ...(raw.branding ?? {}) },
  };
  return cached;
}

const COLOR = /^#[0-9a-fA-F]{3,8}$|^rgb\(|^hsl\(/;

/** Branding colours become CSS variables (set through the CSSOM, which CSP allows). */
export function applyBranding(branding: Branding, root: HTMLElement = document.documentElement): void {
  if (COLOR.test(branding.primary_color)) root.style.setProperty('--fb-primary', branding.primary_color);
  if (COLOR.test(branding.accent_color)) root.style.setProperty('--fb-accent', branding.accent_color);
  document.title = branding.product_name;
}

export function csrfToken(): string | null {
  const m = typeof document !== 'undefined' ? document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) : null;
  return m ? decodeURIComponent(m[1]) : readConfig().csrfToken;
}
