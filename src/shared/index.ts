export * from './protocol';
export * from './hiring';
export * from './tools';
export * from './redact';
export * from './log';
export * from './lenient';
