import { valueFromASTUntyped, type ValueNode } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

/*
 * Scalars as plain configurations that createSchema copies onto the SDL's scalar types, rather than
 * `GraphQLScalarType` instances: those would come from whichever copy of graphql our files were given,
 * which need not be the one yoga builds the schema with (see `isGraphQLError`).
 */

type Variables = Record<string, unknown> | null | undefined;

/** Any JSON value, in and out, as it is. */
export const JSONScalar = {
  serialize: (value: unknown) => value,
  parseValue: (value: unknown) => value,
  parseLiteral: (ast: ValueNode, variables?: Variables) => valueFromASTUntyped(ast, variables ?? undefined),
};

/**
 * Only the outline of a geometry is checked here (an object with a `type`). The command payload schemas of
 * contracts check the rest (Point or Polygon, ranges, closed rings) and name the bad field in `VALIDATION`;
 * a literal checked here would also not yet see the variables inside it.
 */
function geometry(value: unknown): unknown {
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    typeof (value as { type?: unknown }).type !== 'string'
  ) {
    // A GraphQLError, not a TypeError: graphql-js then reports it as the client's input error it is.
    throw createGraphQLError('GeoJSON must be an object with a "type" (Point or Polygon) and "coordinates"');
  }
  return value;
}

/** A GeoJSON Point or Polygon in SRID 4326 (longitude, latitude). */
export const GeoJSONScalar = {
  serialize: (value: unknown) => value,
  parseValue: geometry,
  parseLiteral: (ast: ValueNode, variables?: Variables) => geometry(valueFromASTUntyped(ast, variables ?? undefined)),
};
