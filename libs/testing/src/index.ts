export { uniqueName, tempDir } from './names';
export {
  TEST_POSTGRES_URL,
  createTestDatabase,
  dropTestDatabase,
  missingDatabaseUrl,
} from './postgres';
export { TEST_NATS_URL, deleteNamespaceStreams } from './nats';
export { spawnNode, waitForHttp, freePort, type SpawnedProcess } from './process';
