export { rulesConfigSchema, loadRulesConfig, type RulesConfig } from './config.js';
