// A relying party's back-channel logout endpoint: a local HTTP server that records every POST body.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BackchannelListener {
  uri: string;
  /** The form bodies received so far, in order. */
  received: URLSearchParams[];
  close(): Promise<void>;
}

export async function startBackchannelListener(): Promise<BackchannelListener> {
  const received: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST') received.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}/backchannel-logout`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
