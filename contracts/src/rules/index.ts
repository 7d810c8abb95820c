export * from './rule-entities.js';
export * from './expression-validator.js';
export * from './rules.messages.js';
