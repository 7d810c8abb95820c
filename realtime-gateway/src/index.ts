export { realtimeConfigSchema, loadRealtimeConfig, type RealtimeConfig } from './config.js';
