// Starts both listeners for an App and drains them on shutdown: readiness turns false first, then
// the listeners stop accepting, in-flight requests finish, and pools close.
import { createServer, type Server } from 'node:http';
import type { App } from './app.js';

export interface RunningServers {
  publicServer: Server;
  adminServer: Server;
  publicUrl: string;
  adminUrl: string;
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function close(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => { clearTimeout(force); resolve(); });
    server.closeIdleConnections();
  });
}

export async function startServers(app: App, options: { drainDelayMs?: number } = {}): Promise<RunningServers> {
  const { config } = app;
  const publicServer = createServer(app.publicApp.callback());
  const adminServer = createServer(app.adminApp.callback());
  // Keep-alive a little longer than typical load balancers so they close first.
  publicServer.keepAliveTimeout = 65_000;
  const publicPort = await listen(publicServer, config.port, config.host);
  const adminPort = await listen(adminServer, config.adminPort, config.host);
  const local = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  return {
    publicServer,
    adminServer,
    publicUrl: `http://${local}:${publicPort}`,
    adminUrl: `http://${local}:${adminPort}`,
    async stop() {
      app.health.draining = true;
      // Give load balancers a moment to see /readyz fail before we stop accepting.
      if (options.drainDelayMs) await new Promise((r) => setTimeout(r, options.drainDelayMs));
      const graceMs = config.shutdownGraceSeconds * 1000;
      await Promise.all([close(publicServer, graceMs), close(adminServer, graceMs)]);
      await app.close();
    },
  };
}
