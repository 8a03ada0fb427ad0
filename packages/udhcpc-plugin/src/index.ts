export { envToMsg } from './envToMsg';
export { spec } from './plugin';
