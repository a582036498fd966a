export * from "./chatseal.js";

/**
 * In Node the module is ready as soon as it is imported; this no-op lets code written for
 * browsers (`await init()`) run unchanged. It ignores its argument.
 */
export default function init(moduleOrPath?: unknown): Promise<void>;
