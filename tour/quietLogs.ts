// @livekit/rtc-node logs at debug level unless NODE_ENV is "production", and
// reads it once, when first imported: import this module before it.
process.env.NODE_ENV ??= "production";
export {};
