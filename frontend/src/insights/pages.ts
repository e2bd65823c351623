// The insight pages, one lazily loaded chunk (uPlot included): App.tsx imports them from here.
export { DashboardPage } from './DashboardPage';
export { KpisPage } from './KpisPage';
export { ReconciliationPage } from './ReconciliationPage';
export { SlaPage } from './SlaPage';
export { TracePage } from './TracePage';
