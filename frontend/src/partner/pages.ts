// The partner area's pages (one lazy chunk, see App.tsx).
export { CustomersPage } from './CustomersPage';
export { TemplatesPage } from './TemplatesPage';
export { TemplateDetailPage } from './TemplateDetailPage';
export { RolloutPage } from './RolloutPage';
export { BrandingPage } from './BrandingPage';
