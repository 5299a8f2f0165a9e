// @livekit/rtc-node logs every connect at debug level unless NODE_ENV is
// "production", and reads it when first imported: set before each test file
// loads it, so CI logs show the reports, not 60 JSON lines per run.
process.env.NODE_ENV = "production";
