export * from './dist/transport';
