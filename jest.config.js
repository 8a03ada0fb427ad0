// Two projects: `unit` (beside the code, real processes and sockets on loopback only) and
// `e2e` (network namespaces, real DHCP clients/servers, C peers; needs root). `npm test` runs
// unit; `npm run test:e2e` runs e2e. `.ci/run` runs both.
// Transpile only (tsconfig.jest.json sets isolatedModules): `tsc -b` type-checks, tests run fast.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }];
const moduleNameMapper = {
  '^@dhcpmgr/plugin-msg/transport$': '<rootDir>/packages/plugin-msg/src/transport.ts',
  '^@dhcpmgr/(plugin-msg|udhcpc-plugin|dibbler-plugin|dhcp-manager)$': '<rootDir>/packages/$1/src/index.ts',
};
module.exports = {
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
