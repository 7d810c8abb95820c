import net from 'node:net';

/**
 * A TCP port that was free a moment ago: the kernel picks one for a listener on port 0, which we then release.
 * Another process could take it in between; the window is short enough for local test systems.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something already listens on `port` (a bind on all interfaces fails with EADDRINUSE). */
export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(true) : reject(e)));
    server.listen(port, () => server.close(() => resolve(false)));
  });
}
