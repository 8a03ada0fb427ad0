// Two projects: `unit` (beside the code, real processes and sockets on loopback only) and
// `e2e` (network namespaces, real DHCP clients/servers, C peers; needs root). `npm test` runs
// unit; `npm run test:e2e` runs e2e. `.ci/run` runs both.
// Transpile only (tsconfig.jest.json sets isolatedModules): `tsc -b` type-checks, tests run fast.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }];
const moduleNameMapper = {
  '^@dhcpmgr/plugin-msg/(transport|transport-raw|testing)$': '<rootDir>/packages/plugin-msg/src/$1.ts',
  '^@dhcpmgr/plugin-msg/runtime$': '<rootDir>/packages/plugin-msg/src/runtime/index.ts',
  '^@dhcpmgr/(plugin-msg|udhcpc-plugin|dibbler-plugin|dhcp-manager)$': '<rootDir>/packages/$1/src/index.ts',
};
module.exports = {
  // A fresh worker process for every test file: the nanomsg addon's libuv poll handles outlive a
  // test file's sandbox when a socket is left open, and a callback into a torn-down context can
  // crash the process. A limit this low recycles the worker after each file (it also makes jest
  // use a worker instead of running in band).
  workerIdleMemoryLimit: '1MB',
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'],
      transform: { '^.+\\.ts$': tsJest },
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test-e2e/**/*.test.ts'],
      transform: { '^.+\\.ts$': tsJest },
      moduleNameMapper,
    },
  ],
};
