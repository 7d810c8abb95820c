import { createSchema } from 'graphql-yoga';
import {
  cacheTypeDefs,
  computedFieldsTypeDefs,
  entityTypeEnum,
  historyTypeDefs,
  ownerTypeEnum,
  roleEnum,
  typeDefs,
  variableTypeEnum,
  worldEventStatusEnum,
} from '@cm/contracts';
import { cacheResolvers } from './resolvers/cache.resolvers.js';
import { assertIdArguments } from './arguments.js';
import { connectionResolvers } from './connections.js';
import type { GraphQLContext } from './graphql-context.js';
import { computedFieldResolvers } from './computed-fields.js';
import { entityResolvers } from './resolvers/entity.resolvers.js';
import { historyResolvers } from './resolvers/history.resolvers.js';
import { mutationResolvers } from './resolvers/mutation.resolvers.js';
import { queryResolvers } from './resolvers/query.resolvers.js';
import { GeoJSONScalar, JSONScalar } from './scalars.js';

type FieldResolver = (parent: unknown, args: Record<string, unknown>, ctx: GraphQLContext, info: unknown) => unknown;
type TypeResolvers = Record<string, Record<string, FieldResolver>>;

/**
 * Checks id arguments before any resolver body runs, on every field that takes arguments (nested ones like
 * `Campaign.kingdoms(branchId:)` included), so no resolver can forget to.
 */
function guardIdArguments(types: TypeResolvers): TypeResolvers {
  return Object.fromEntries(
    Object.entries(types).map(([type, fields]) => [
      type,
      Object.fromEntries(
        Object.entries(fields).map(([name, resolve]) => [
          name,
          (parent: unknown, args: Record<string, unknown>, ctx: GraphQLContext, info: unknown) => {
            assertIdArguments(args);
            return resolve(parent, args, ctx, info);
          },
        ]),
      ),
    ]),
  );
}

/**
 * The executable schema: the SDL of contracts with our resolvers. Enums get their domain values as internal
 * values, so resolvers and the read model see `world-event` and `gm` while clients see `WORLD_EVENT` and
 * `GM`, in arguments, input objects and results alike.
 */
export function buildSchema() {
  const resolvers = guardIdArguments({
    ...(queryResolvers as unknown as TypeResolvers),
    Query: {
      ...queryResolvers.Query,
      ...historyResolvers.Query,
      ...cacheResolvers.Query,
    } as unknown as TypeResolvers[string],
    ...(entityResolvers as unknown as TypeResolvers),
    ...(mutationResolvers as unknown as TypeResolvers),
    ...(connectionResolvers as unknown as TypeResolvers),
  });
  return createSchema<GraphQLContext>({
    typeDefs: [typeDefs, computedFieldsTypeDefs, historyTypeDefs, cacheTypeDefs],
    resolvers: [
      resolvers,
      guardIdArguments(computedFieldResolvers as unknown as TypeResolvers),
      {
        JSON: JSONScalar,
        GeoJSON: GeoJSONScalar,
        Role: roleEnum,
        OwnerType: ownerTypeEnum,
        VariableType: variableTypeEnum,
        WorldEventStatus: worldEventStatusEnum,
        EntityType: entityTypeEnum,
      },
    ],
  });
}
