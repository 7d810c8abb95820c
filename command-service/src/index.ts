export { CommandProcessor } from './application/command-processor.js';
export { AggregateRepository } from './event-store/aggregate-repository.js';
export { JetStreamEventStore } from './event-store/jetstream.event-store.js';
export { WrongExpectedSequence, type EventStore, type RecordedCommit } from './event-store/event-store.port.js';
export { createRepository } from './event-store/create-repository.js';
