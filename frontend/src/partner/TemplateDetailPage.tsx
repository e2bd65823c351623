// /partner/templates/:id: the template's versions with changelogs and parameters, "Publish new
// version", "Clone into customers" and the way to the rollout page.
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { partnerApi } from '../api/partner';
import type { Template, TemplateInstance, TemplateVersion } from '../api/types';
import type { Organisation } from '../api/types';
import { EmptyState, Skeleton } from '../ui/bits';
import { useToast } from '../ui/toast';
import { clock, timeAgo } from '../lib/format';
import { CloneDialog } from './CloneDialog';
import { PublishDialog } from './PublishDialog';
import { MANAGE_ROLES, versionCounts } from './model';
import { message, PartnerPage } from './shared';

function Detail({ partner }: { partner: Organisation }) {
  const { id } = useParams();
  const [params, setParams] = useSearchParams();
  const toast = useToast();
  const canManage = MANAGE_ROLES.includes(partner.role);
  const [template, setTemplate] = useState<Template | null>(null);
  const [versions, setVersions] = useState<TemplateVersion[] | null>(null);
  const [instances, setInstances] = useState<TemplateInstance[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [dialog, setDialog] = useState<'publish' | 'clone' | null>(params.get('publish') ? 'publish' : null);

  useEffect(() => {
    if (!id) return;
    let alive = true;
    setError(null);
    Promise.all([partnerApi.template(id), partnerApi.versions(id)]).then(
      ([t, v]) => {
        if (!alive) return;
        setTemplate(t);
        setVersions([...v].sort((a, b) => b.number - a.number));
      },
      (e: unknown) => alive && setError(message(e)),
    );
    partnerApi.instances(id).then(
      (list) => alive && setInstances(list),
      () => alive && setInstances([]),
    );
    return () => {
      alive = false;
    };
  }, [id, reload]);

  const close = useCallback(() => {
    setDialog(null);
    if (params.get('publish')) setParams({}, { replace: true });
  }, [params, setParams]);

  if (error) {
    return <EmptyState title="Could not load the template" body={error} action={<Link to="/partner/templates">Back to templates</Link>} testid="template-error" />;
  }
  if (!template || !versions) return <Skeleton rows={5} testid="template-loading" />;
  const counts = new Map(versionCounts(instances, template.id).map((c) => [c.version, c.customers]));

  return (
    <div data-testid="template-detail" data-template-id={template.id}>
      <p className="small">
        <Link to="/partner/templates">← Templates</Link>
      </p>
      <div className="page-head">
        <div>
          <h1 data-testid="template-name">{template.name}</h1>
          <p className="muted">
            {template.category || 'Uncategorised'} · {template.latest_version ? `latest v${template.latest_version}` : 'not published yet'} · {instances.length} customer cop{instances.length === 1 ? 'y' : 'ies'}
          </p>
        </div>
        <div className="row gap">
          {canManage && (
            <button onClick={() => setDialog('publish')} data-testid="publish-version">
              Publish new version
            </button>
          )}
          <Link className="button" to={`/partner/templates/${template.id}/rollout`} data-testid="open-rollout">
            Rollout
          </Link>
          {canManage && (
            <button className="primary" onClick={() => setDialog('clone')} disabled={!versions.length} title={versions.length ? undefined : 'Publish a version first'} data-testid="clone-template">
              Clone into customers
            </button>
          )}
        </div>
      </div>
      {template.description && <p className="template-desc">{template.description}</p>}
      <h2 className="section-title">Versions</h2>
      {versions.length === 0 ? (
        <EmptyState
          title="No versions yet"
          body="Publish the source flow as version 1 and declare what each customer fills in."
          action={canManage ? <button className="primary" onClick={() => setDialog('publish')}>Publish version 1</button> : undefined}
          testid="versions-empty"
        />
      ) : (
        <ol className="template-versions" data-testid="template-versions">
          {versions.map((v) => (
            <li key={v.id} data-testid={`template-version-${v.number}`}>
              <div className="row gap wrap">
                <span className="pill strong">v{v.number}</span>
                <span className="muted small" title={clock(v.created_at)}>
                  {timeAgo(v.created_at)}
                  {v.created_by ? ` by ${v.created_by}` : ''}
                </span>
                <span className="muted small">
                  · {counts.get(v.number) ?? 0} customer{counts.get(v.number) === 1 ? '' : 's'}
                </span>
              </div>
              <p className="version-changelog">{v.changelog || <span className="muted">No changelog.</span>}</p>
              {v.parameters.length > 0 && (
                <ul className="row wrap gap-s version-params" aria-label="Parameters">
                  {v.parameters.map((p) => (
                    <li key={p.name} className="tag" title={p.description || (p.kind === 'value' ? p.pointer : p.nodes.join(', '))}>
                      {p.kind === 'connection' ? 'slot: ' : ''}
                      {p.name}
                      {p.kind === 'connection' ? ` (${p.connector})` : ''}
                      {p.required ? ' *' : ''}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
      {dialog === 'publish' && (
        <PublishDialog
          template={template}
          latest={versions[0]}
          onClose={close}
          onPublished={(v) => {
            close();
            toast.success(`Published version ${v.number}`, 'Clone it into customers, or roll it out to existing copies.');
            setReload((n) => n + 1);
          }}
        />
      )}
      {dialog === 'clone' && <CloneDialog template={template} versions={versions} onClose={close} onCloned={() => setReload((n) => n + 1)} />}
    </div>
  );
}

export function TemplateDetailPage() {
  return <PartnerPage testid="partner-template">{(partner) => <Detail partner={partner} />}</PartnerPage>;
}
