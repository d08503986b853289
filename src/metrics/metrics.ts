// Prometheus metrics (served on the admin listener at /metrics). One registry per App, so tests
// and several apps in one process never share counters.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type LoginMethod = 'password' | 'passcode' | 'recovery-code';

export function createMetrics() {
  const registry = new Registry();
  // Process metrics, including nodejs_eventloop_lag_seconds and memory.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: 'callrec_http_requests_total', help: 'HTTP requests by listener, route, method and status', labelNames: ['listener', 'route', 'method', 'status'] as const, registers }),
    httpDuration: new Histogram({
      name: 'callrec_http_request_duration_seconds', help: 'HTTP request latency by listener and route', labelNames: ['listener', 'route', 'method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers,
    }),
    loginsStarted: new Counter({ name: 'callrec_logins_started_total', help: 'Login journeys started (an interaction asked for login)', registers }),
    loginsSucceeded: new Counter({ name: 'callrec_logins_succeeded_total', help: 'Logins finished, by last factor', labelNames: ['method'] as const, registers }),
    loginsFailed: new Counter({ name: 'callrec_logins_failed_total', help: 'Failed login steps', labelNames: ['step'] as const, registers }),
    mfaRegistrations: new Counter({ name: 'callrec_mfa_registrations_total', help: 'Authenticators registered', registers }),
    passcodeFailures: new Counter({ name: 'callrec_mfa_passcode_failures_total', help: 'Wrong passcodes and recovery codes', labelNames: ['kind'] as const, registers }),
    lockouts: new Counter({ name: 'callrec_lockouts_total', help: 'Lockouts started', labelNames: ['kind'] as const, registers }),
    tokensIssued: new Counter({ name: 'callrec_tokens_issued_total', help: 'Token endpoint successes by grant type', labelNames: ['grant_type'] as const, registers }),
    dependencyErrors: new Counter({ name: 'callrec_dependency_errors_total', help: 'Errors talking to PostgreSQL or Redis', labelNames: ['dependency'] as const, registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
