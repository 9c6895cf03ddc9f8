import type { Express } from 'express';
import type { AppPubSub } from '../../events/pubsub';
import type { Metrics } from '../../ops/metrics';
import type { Admission } from '../admission';
import { requireBearerSecret } from '../http-auth';

export interface MetricsRouteDeps {
  /** The bearer secret a scrape must present (METRICS_TOKEN); none: open. */
  token: string | null;
  metrics: Metrics;
  admission: Admission;
  pubSub: AppPubSub;
  /** The database pool now (start-up's, src/db/pool.ts): in use, free, callers waiting; null when unreadable. */
  poolStats: () => { used: number; free: number; pending: number } | null;
}

/** Prometheus' scrape: the registry, with the gauges read at scrape time (pool, admission, subscribers) set first. */
export function mountMetrics(app: Express, { token, metrics, admission, pubSub, poolStats }: MetricsRouteDeps): void {
  app.get('/metrics', requireBearerSecret(token, 'metrics'), async (_req, res) => {
    const pool = poolStats();
    if (pool) {
      metrics.poolUsed.set(pool.used);
      metrics.poolFree.set(pool.free);
      metrics.poolPending.set(pool.pending);
    }
    metrics.requestsInProgress.set(admission.inProgress);
    metrics.requestsWaiting.set(admission.waiting);
    for (const topic of ['TIER_CHANGED', 'TIER_NOTICE'] as const) metrics.subscribers.set({ topic }, pubSub.subscriberCount(topic));
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
