// /partner/branding (partner admins): the white label the partner's customers see, with a live preview of
// the top bar and the sign-in card. Saved with PUT /api/organisations/{id}/branding/.
import { useEffect, useState, type CSSProperties } from 'react';
import { partnerApi } from '../api/partner';
import type { BrandingSettings } from '../api/types';
import type { Organisation } from '../api/types';
import { EmptyState, Skeleton, Spinner } from '../ui/bits';
import { useToast } from '../ui/toast';
import { brandingForm, brandingPayload, brandingProblems, logoBlockedByCsp, type BrandingForm } from './model';
import { fieldErrors, message, PartnerPage } from './shared';

const TEXT_FIELDS: { key: keyof BrandingSettings; label: string; help?: string; type?: string; placeholder?: string }[] = [
  { key: 'product_name', label: 'Product name', help: 'Shown in the top bar, page titles, e-mails and the sign-in page.' },
  { key: 'logo_url', label: 'Logo URL', help: 'A /static/ path or a data:image URL (the app’s security policy only loads images from this site).', placeholder: '/static/brand/logo.svg' },
  { key: 'favicon_url', label: 'Favicon URL', placeholder: '/static/brand/favicon.svg' },
  { key: 'support_email', label: 'Support e-mail', type: 'email', placeholder: 'support@partner.com' },
  { key: 'support_url', label: 'Support URL', type: 'url', placeholder: 'https://help.partner.com' },
  { key: 'host_name', label: 'Host name', help: 'Your own domain for the sign-in page, e.g. integrations.partner.com (point it at this server).', placeholder: 'integrations.partner.com' },
];

function Preview({ f }: { f: BrandingForm }) {
  const vars = { '--pv-primary': f.primary_color, '--pv-accent': f.accent_color } as CSSProperties;
  const name = f.product_name || 'Your product';
  const logo = f.logo_url.trim() && !logoBlockedByCsp(f.logo_url) ? f.logo_url.trim() : '';
  return (
    <div className="brand-preview" style={vars} data-testid="branding-preview" aria-label="Preview">
      <div className="brand-preview-topbar" data-testid="branding-preview-topbar">
        {logo ? <img src={logo} alt={name} className="brand-logo" /> : <><span className="brand-preview-mark" aria-hidden /> <span className="strong">{name}</span></>}
        <span className="brand-preview-nav on">Flows</span>
        <span className="brand-preview-nav">Runs</span>
        <span className="brand-preview-nav">Connections</span>
      </div>
      <div className="brand-preview-login">
        <div className="brand-preview-card" data-testid="branding-preview-login">
          {logo && <img src={logo} alt="" className="brand-preview-card-logo" />}
          <h3>Sign in to {name}</h3>
          <p className="muted small">{f.login_text || `Sign in to ${name}.`}</p>
          <div className="brand-preview-input" aria-hidden>Username</div>
          <div className="brand-preview-input" aria-hidden>Password</div>
          <div className="brand-preview-button" aria-hidden>Sign in</div>
          {f.support_email && <p className="muted small">Help: {f.support_email}</p>}
        </div>
      </div>
    </div>
  );
}

function Branding({ partner }: { partner: Organisation }) {
  const toast = useToast();
  const [form, setForm] = useState<BrandingForm | null>(null);
  const [saved, setSaved] = useState<string>('');
  const [loadError, setLoadError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Partial<Record<keyof BrandingSettings, string>>>({});
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let alive = true;
    setLoadError(null);
    partnerApi.branding(partner.id).then(
      (b) => {
        if (!alive) return;
        const f = brandingForm(b, partner.name);
        setForm(f);
        setSaved(JSON.stringify(f));
      },
      (e: unknown) => alive && setLoadError(message(e)),
    );
    return () => {
      alive = false;
    };
  }, [partner.id, partner.name, reload]);

  if (partner.role !== 'admin') {
    return <EmptyState title="Only partner admins change the branding" body={`Your role in ${partner.name} is ${partner.role}.`} testid="branding-forbidden" />;
  }
  if (loadError) return <EmptyState title="Could not load the branding" body={loadError} action={<button onClick={() => setReload((n) => n + 1)}>Try again</button>} testid="branding-error" />;
  if (!form) return <Skeleton rows={6} testid="branding-loading" />;

  const dirty = JSON.stringify(form) !== saved;
  const set = (k: keyof BrandingSettings, v: string) => {
    setForm((f) => (f ? { ...f, [k]: v } : f));
    setErrors((e) => ({ ...e, [k]: undefined }));
  };
  const save = async () => {
    const p = brandingProblems(form);
    setErrors(p);
    if (Object.keys(p).length) {
      toast.error('Some fields need attention');
      return;
    }
    setBusy(true);
    try {
      const b = await partnerApi.saveBranding(partner.id, brandingPayload(form));
      const f = brandingForm(b, partner.name);
      setForm(f);
      setSaved(JSON.stringify(f));
      toast.success('Branding saved', 'Your customers see it the next time they load a page.');
    } catch (e) {
      setErrors(fieldErrors(e) as Partial<Record<keyof BrandingSettings, string>>);
      toast.error('Could not save the branding', message(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Branding</h1>
          <p className="muted">{partner.name} · what your customers’ users see</p>
        </div>
      </div>
      <div className="branding-layout">
        <form
          className="branding-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
          data-testid="branding-form"
        >
          {TEXT_FIELDS.map((t) => (
            <label key={t.key} className="field">
              <span>{t.label}</span>
              <input
                type={t.type ?? 'text'}
                value={form[t.key]}
                placeholder={t.placeholder}
                onChange={(e) => set(t.key, e.target.value)}
                aria-invalid={errors[t.key] ? true : undefined}
                data-testid={`branding-${t.key}`}
              />
              {errors[t.key] ? <em className="conn-err">{errors[t.key]}</em> : t.help ? <small className="muted">{t.help}</small> : null}
              {t.key === 'logo_url' && logoBlockedByCsp(form.logo_url) && <small className="conn-warn">Images from other sites are blocked by the page’s security policy: upload the logo under /static/ or use a data: URL.</small>}
            </label>
          ))}
          <div className="row gap">
            {(['primary_color', 'accent_color'] as const).map((k) => (
              <label key={k} className="field grow">
                <span>{k === 'primary_color' ? 'Primary colour' : 'Accent colour'}</span>
                <span className="row gap-s">
                  <input type="color" value={/^#[0-9a-fA-F]{6}$/.test(form[k]) ? form[k] : '#000000'} onChange={(e) => set(k, e.target.value)} aria-label={`${k === 'primary_color' ? 'Primary' : 'Accent'} colour picker`} data-testid={`branding-${k}`} />
                  <input className="grow" value={form[k]} onChange={(e) => set(k, e.target.value)} aria-label={`${k === 'primary_color' ? 'Primary' : 'Accent'} colour hex`} aria-invalid={errors[k] ? true : undefined} maxLength={7} data-testid={`branding-${k}-hex`} />
                </span>
                {errors[k] && <em className="conn-err">{errors[k]}</em>}
              </label>
            ))}
          </div>
          <label className="field">
            <span>Sign-in text</span>
            <textarea rows={2} value={form.login_text} onChange={(e) => set('login_text', e.target.value)} data-testid="branding-login_text" />
          </label>
          <div className="row gap">
            <button type="submit" className="primary" disabled={busy || !dirty} data-testid="branding-save">
              {busy ? <Spinner label="Saving" /> : 'Save branding'}
            </button>
            {dirty && (
              <button type="button" onClick={() => setForm(JSON.parse(saved) as BrandingForm)}>
                Discard changes
              </button>
            )}
          </div>
        </form>
        <Preview f={form} />
      </div>
    </>
  );
}

export function BrandingPage() {
  return <PartnerPage testid="partner-branding">{(partner) => <Branding partner={partner} />}</PartnerPage>;
}
