// What the demo writer's Redis service takes from the library, in one module so that tsx loads the library once.
export { ControllerAsync } from '../../extension/restate/index';
export { RedisBackend, inspectOverRedis } from '../../extension/restate/redis';
