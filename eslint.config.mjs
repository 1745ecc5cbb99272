// Type-aware lint for every project. Module boundaries are enforced with restricted imports:
// libs never import services, services never import each other, and `domain/` folders stay
// free of framework and I/O packages (see docs/adr/0001-monorepo-tooling.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const SERVICES = ['ingestion', 'identity', 'profile', 'segmentation', 'crm', 'activation'];
const IO_PACKAGES = [
  '@nestjs/*',
  'typeorm',
  'pg',
  '@nats-io/*',
  '@clickhouse/*',
  'chdb',
  'fastify',
  '@cdp/messaging',
  '@cdp/persistence',
  '@cdp/runtime',
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'libs/contracts/src/gen/**',
      '.data/**',
      '.nx/**',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test/describe return promises the runner tracks itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Nest resolves constructor parameters from emitted metadata: a type-only import would erase it.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true },
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@cdp/service-*', '**/services/**'], message: 'libs never import services' },
          ],
        },
      ],
    },
  },
  ...SERVICES.map((name) => ({
    files: [`services/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: SERVICES.filter((s) => s !== name).flatMap((s) => [
                `@cdp/service-${s}`,
                `**/services/${s}/**`,
              ]),
              message: 'a service never imports another service: use messaging',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['services/**/domain/**/*.ts', 'libs/**/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: IO_PACKAGES, message: 'domain code stays free of frameworks and I/O' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', '**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
