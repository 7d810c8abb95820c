export { schedulerConfigSchema, loadSchedulerConfig, type SchedulerConfig } from './config.js';
