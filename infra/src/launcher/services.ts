/** Every process the launcher can run. */
export const SERVICE_NAMES = [
  'command-service',
  'query-service',
  'query-api',
  'query-projector',
  'query-redis-projector',
  'rules-service',
  'scheduler-service',
  'realtime-gateway',
] as const;

/** A process the launcher can run: a service, or one role of query-service. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** What `startSystem` runs when not told otherwise: the smallest complete system. */
export const DEFAULT_SERVICES = ['command-service', 'query-service'] as const satisfies readonly ServiceName[];

/** Keys of `SystemOptions.ports`; query-service and query-api share `query` because both serve GraphQL there. */
export type PortKey = 'query' | 'command' | 'projector' | 'redisProjector' | 'rules' | 'scheduler' | 'realtime';

/** How the launcher runs one service. */
export interface ServiceSpec {
  /** Entry point, relative to the repository root. */
  main: string;
  /** The variable the service reads its HTTP port from. */
  portEnv: string;
  portKey: PortKey;
  /** The port `cm up` uses, so that documentation and bookmarks stay valid. */
  defaultPort: number;
  /** Fixed variables of this process (the query-service role). */
  env: Record<string, string>;
  /** True when the process serves `/graphql`. */
  graphql: boolean;
}

export const SERVICES: Record<ServiceName, ServiceSpec> = {
  'command-service': {
    main: 'command-service/dist/main.js',
    portEnv: 'COMMAND_OPS_PORT',
    portKey: 'command',
    defaultPort: 4001,
    env: {},
    graphql: false,
  },
  'query-service': {
    main: 'query-service/dist/main.js',
    portEnv: 'QUERY_PORT',
    portKey: 'query',
    defaultPort: 4000,
    env: { QUERY_ROLE: 'all' },
    graphql: true,
  },
  'query-api': {
    main: 'query-service/dist/main.js',
    portEnv: 'QUERY_PORT',
    portKey: 'query',
    defaultPort: 4000,
    env: { QUERY_ROLE: 'api' },
    graphql: true,
  },
  'query-projector': {
    main: 'query-service/dist/main.js',
    portEnv: 'QUERY_PORT',
    portKey: 'projector',
    defaultPort: 4005,
    env: { QUERY_ROLE: 'projector' },
    graphql: false,
  },
  /** The Redis projection alone; beside it, `query-projector` with `QUERY_PROJECTIONS=postgres` runs the other. */
  'query-redis-projector': {
    main: 'query-service/dist/main.js',
    portEnv: 'QUERY_PORT',
    portKey: 'redisProjector',
    defaultPort: 4006,
    env: { QUERY_ROLE: 'projector', QUERY_PROJECTIONS: 'redis' },
    graphql: false,
  },
  'rules-service': {
    main: 'rules-service/dist/main.js',
    portEnv: 'RULES_OPS_PORT',
    portKey: 'rules',
    defaultPort: 4002,
    env: {},
    graphql: false,
  },
  'scheduler-service': {
    main: 'scheduler-service/dist/main.js',
    portEnv: 'SCHEDULER_OPS_PORT',
    portKey: 'scheduler',
    defaultPort: 4003,
    env: {},
    graphql: false,
  },
  'realtime-gateway': {
    main: 'realtime-gateway/dist/main.js',
    portEnv: 'REALTIME_PORT',
    portKey: 'realtime',
    defaultPort: 4004,
    env: {},
    graphql: false,
  },
};

/** Narrows a string (a CLI argument, say) to a `ServiceName`. */
export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

/** The default port of every port key, as `cm up` binds them. */
export function defaultPorts(): Record<PortKey, number> {
  const out = {} as Record<PortKey, number>;
  for (const spec of Object.values(SERVICES)) out[spec.portKey] = spec.defaultPort;
  return out;
}

/**
 * Rejects service lists that cannot run together: two processes on one port, or a name twice.
 * The command service goes first: the others send it commands as soon as they are ready.
 */
export function orderServices(services: readonly ServiceName[]): ServiceName[] {
  const seen = new Map<PortKey, ServiceName>();
  for (const name of services) {
    if (!isServiceName(name))
      throw new Error(`unknown service ${JSON.stringify(name)}; known: ${SERVICE_NAMES.join(', ')}`);
    const other = seen.get(SERVICES[name].portKey);
    if (other)
      throw new Error(
        `${other} and ${name} cannot run in one system: both would serve on the ${SERVICES[name].portKey} port`,
      );
    seen.set(SERVICES[name].portKey, name);
  }
  return [...services].sort((a, b) => Number(b === 'command-service') - Number(a === 'command-service'));
}
