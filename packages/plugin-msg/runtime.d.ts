export * from './dist/runtime';
