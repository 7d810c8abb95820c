import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/*
 * A TCP proxy of its own process, so that a test can freeze it with SIGSTOP: the sockets stay open (the kernel
 * still accepts and buffers bytes), but nothing is forwarded in either direction: a connection that hangs, as a
 * stuck network path or a frozen database host looks to its client, rather than one that fails.
 */
const SCRIPT = `
const net = require('node:net');
const [host, port] = [process.argv[1], Number(process.argv[2])];
const server = net.createServer((client) => {
  const upstream = net.connect(port, host);
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

export class TcpProxy {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Starts a proxy on a free port of 127.0.0.1 that forwards every connection to `host:port`. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const child = spawn(process.execPath, ['-e', SCRIPT, host, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const listening = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`tcp proxy exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line)));
    });
    return new TcpProxy(child, listening);
  }

  /** Stops the proxy process: its connections hang until `resume`. */
  freeze(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
