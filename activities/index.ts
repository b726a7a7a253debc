import type { ActivityDeps } from './deps';
import { decisionActivities } from './decisions';
import { ingestActivities } from './ingest';
import { processActivities } from './process';
import { reportActivities } from './reports';
import { smokeActivities } from './smoke';
import { streamMaintenanceActivities } from './stream-maintenance';
import { warehouseActivities } from './warehouse';

export type { ActivityDeps } from './deps';

/** Every activity of qpipe, bound to the worker's clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...smokeActivities(deps),
    ...ingestActivities(deps),
    ...processActivities(deps),
    ...decisionActivities(deps),
    ...reportActivities(deps),
    ...streamMaintenanceActivities(deps),
    ...warehouseActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
