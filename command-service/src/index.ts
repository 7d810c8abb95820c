export { CommandProcessor } from './application/command-processor.js';
export { AggregateRepository } from './event-store/aggregate-repository.js';
export { JetStreamEventStore, WrongExpectedSequence } from './event-store/jetstream-event-store.js';
export { createRepository } from './event-store/create-repository.js';
