// json-logic-js ships no types; the semantics table and the benchmark use only `apply`.
declare module 'json-logic-js' {
  const jsonLogic: { apply(logic: unknown, data?: unknown): unknown };
  export default jsonLogic;
}
