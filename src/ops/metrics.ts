import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The process's Prometheus metrics (runtime.md: requests, latencies, jobs, outbox, pool). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    httpRequests: new Counter({ name: 'http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route'], buckets, registers: [registry] }),
    graphqlOps: new Counter({ name: 'graphql_operations_total', help: 'GraphQL operations', labelNames: ['operation', 'type', 'outcome'], registers: [registry] }),
    graphqlDuration: new Histogram({ name: 'graphql_operation_duration_seconds', help: 'GraphQL operation latency', labelNames: ['operation', 'type'], buckets, registers: [registry] }),
    jobRuns: new Counter({ name: 'job_runs_total', help: 'Scheduled job runs', labelNames: ['job', 'outcome'], registers: [registry] }),
    jobDuration: new Histogram({ name: 'job_duration_seconds', help: 'Scheduled job duration', labelNames: ['job'], buckets: [...buckets, 30, 60, 300], registers: [registry] }),
    jobMembers: new Counter({ name: 'job_members_total', help: 'Members processed and changed by jobs', labelNames: ['job', 'kind'], registers: [registry] }),
    subscriptionExecutions: new Counter({ name: 'subscription_event_executions_total', help: 'Subscription events executed for a subscriber, run or reused from an equivalent subscription', labelNames: ['outcome'], registers: [registry] }),
    subscriptionSerializations: new Counter({ name: 'subscription_payloads_serialized_total', help: 'Subscription payloads serialized to JSON (once per event and equivalent subscription)', registers: [registry] }),
    subscribers: new Gauge({ name: 'graphql_subscribers', help: 'Live subscriptions per pub/sub topic', labelNames: ['topic'], registers: [registry] }),
    outboxLag: new Gauge({ name: 'outbox_lag_seconds', help: 'Age of the oldest undelivered outbox event', registers: [registry] }),
    poolUsed: new Gauge({ name: 'db_pool_used', help: 'Database connections in use', registers: [registry] }),
    poolFree: new Gauge({ name: 'db_pool_free', help: 'Idle database connections', registers: [registry] }),
    poolPending: new Gauge({ name: 'db_pool_pending', help: 'Requests waiting for a connection', registers: [registry] }),
    requestsInProgress: new Gauge({ name: 'graphql_http_requests_in_progress', help: 'GraphQL requests running: HTTP, and WebSocket queries and mutations (at most MAX_CONCURRENT_REQUESTS)', registers: [registry] }),
    webhookDeliveries: new Counter({ name: 'webhook_delivery_attempts_total', help: 'Webhook delivery attempts by outcome (delivered, retry, dead, gone)', labelNames: ['outcome'], registers: [registry] }),
    webhookLatency: new Histogram({
      name: 'webhook_delivery_latency_seconds', help: 'From an event\'s commit (or a redelivery\'s request) to its 2xx', registers: [registry],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400],
    }),
    requestsWaiting: new Gauge({ name: 'graphql_http_requests_waiting', help: 'GraphQL requests waiting for a place to run: HTTP, and WebSocket queries and mutations', registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
