export {
  ConfigError,
  loadConfig,
  describeEnv,
  type EnvSchema,
  type EnvVariable,
} from './load-config';
export { baseEnv, clickhouseEnv, url, port, positiveInt, boolFlag, logLevel } from './env';
export { z } from 'zod';
