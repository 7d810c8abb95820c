/** The owner types that carry computed fields, as GraphQL object type names. */
export const COMPUTED_FIELD_OWNER_TYPES = [
  'Campaign',
  'Kingdom',
  'Location',
  'Settlement',
  'Structure',
  'WorldEvent',
] as const;

const onEntity = (type: string) => {
  // A campaign lives in every branch of itself, so its computed fields take the branch; the others know theirs.
  const branchArg = type === 'Campaign' ? '(branchId: ID = "main")' : '';
  const fieldArgs = type === 'Campaign' ? '(field: String!, branchId: ID = "main")' : '(field: String!)';
  return `
extend type ${type} {
  "Every computed field the active field conditions define on this entity (see \`FieldCondition\`)."
  computedFields${branchArg}: [ComputedField!]!
  "One computed field by name; null when no active condition defines it here."
  computed${fieldArgs}: ComputedField
}`;
};

/**
 * Computed fields: the rules service evaluates the field conditions of an entity's type (or of the entity) over
 * its fields, variables, parent and children. Reads reflect at least the read model the rest of the answer comes
 * from, so a query with `minSeq` never sees a computed field older than its own write.
 */
export const computedFieldsTypeDefs = /* GraphQL */ `
  "Why a computed field could not be computed: RULE_LIMIT (cut off at the bound on operations or array size), RULE_CYCLE, RULE_EVALUATION."
  type ComputedFieldError {
    code: String!
    message: String!
  }

  type ComputedField {
    field: String!
    "Any JSON value; null when the expression yields nothing or failed (then \`error\` says why)."
    value: JSON
    error: ComputedFieldError
  }

  type ComputedFieldCandidate {
    id: ID!
    entityId: ID
    priority: Int!
    active: Boolean!
  }

  "How a computed field of one entity is computed: for game masters debugging a rule."
  type ComputedFieldExplanation {
    field: String!
    value: JSON
    error: ComputedFieldError
    "The winning condition; null when no active condition defines the field for this entity."
    condition: FieldCondition
    "Every condition on this field for this entity, winner first."
    candidates: [ComputedFieldCandidate!]!
    "The value of every path the winning expression reads (a child collection: its size)."
    inputs: JSON!
    "The stream sequence the explanation reflects."
    seq: Int!
  }
  ${COMPUTED_FIELD_OWNER_TYPES.map(onEntity).join('\n')}

  extend type Query {
    explainComputedField(
      campaignId: ID!
      branchId: ID = "main"
      entityType: OwnerType!
      entityId: ID!
      field: String!
      minSeq: Int
    ): ComputedFieldExplanation
  }
`;
